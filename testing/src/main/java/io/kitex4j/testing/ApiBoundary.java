package io.kitex4j.testing;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Checks that no public API signature mentions an internal type: a type in a package with an {@code internal}
 * segment (e.g. {@code io.kitex4j.thriftrpc.internal.codec}).
 *
 * <p>Every public class outside internal packages (nested classes too, when all their enclosing classes are
 * public) is inspected: its superclass, interfaces and type parameter bounds, and each public or protected
 * field, constructor and method, with the full generic signature (parameters, return type, thrown types, type
 * parameter bounds, type arguments, wildcard bounds, array components). Compiler-generated members are skipped.
 *
 * <pre>{@code
 * class ApiBoundaryTest {
 *     @Test
 *     void noInternalTypeInPublicApi() {
 *         ApiBoundary.assertNoInternalTypes(Path.of("target/classes"));
 *     }
 * }
 * }</pre>
 *
 * <p>Classes are loaded, without being initialized, with the thread's context class loader, so the classes
 * directory must be on the test's class path (a module's own {@code target/classes} always is).
 */
public final class ApiBoundary {

    /**
     * Fails with an {@link AssertionError} that lists every violation, one per line, if any public API
     * signature of the classes under {@code classesDirectory} mentions an internal type.
     */
    public static void assertNoInternalTypes(Path classesDirectory) {
        failIfAny(violations(classesDirectory, ""), classesDirectory.toString());
    }

    /**
     * Fails with an {@link AssertionError} that lists every violation, one per line, if any public API
     * signature of the classes in {@code packagePrefix} or its subpackages, wherever they are on the class path
     * (test classes in those packages included), mentions an internal type.
     */
    public static void assertNoInternalTypes(String packagePrefix) {
        failIfAny(violations(packagePrefix), packagePrefix);
    }

    /**
     * Returns the violations in the classes under {@code classesDirectory} whose names start with
     * {@code packagePrefix} ({@code ""} for all), sorted; empty if there are none.
     */
    public static List<String> violations(Path classesDirectory, String packagePrefix) {
        requireNonNull(classesDirectory, "classesDirectory");
        requireNonNull(packagePrefix, "packagePrefix");
        if (!Files.isDirectory(classesDirectory)) {
            throw new IllegalArgumentException(
                    "classesDirectory: " + classesDirectory + " (expected: a directory of compiled classes)");
        }
        final Set<String> classNames = new TreeSet<>();
        collectClassNames(classesDirectory, classNames);
        return check(classNames, packagePrefix);
    }

    /**
     * Returns the violations in the classes of {@code packagePrefix} and its subpackages found on the thread's
     * context class path (directories and jars), sorted; empty if there are none.
     */
    public static List<String> violations(String packagePrefix) {
        requireNonNull(packagePrefix, "packagePrefix");
        if (packagePrefix.isEmpty() || packagePrefix.startsWith(".") || packagePrefix.endsWith(".")) {
            throw new IllegalArgumentException(
                    "packagePrefix: '" + packagePrefix + "' (expected: a package name such as io.kitex4j.core)");
        }
        final String resource = packagePrefix.replace('.', '/');
        final Set<String> classNames = new TreeSet<>();
        try {
            final Enumeration<URL> roots = loader().getResources(resource);
            while (roots.hasMoreElements()) {
                final URL url = roots.nextElement();
                if ("jar".equals(url.getProtocol())) {
                    // jar:file:/path/x.jar!/io/kitex4j/... -> the jar's root.
                    final String spec = url.toString();
                    final Path jar = Paths.get(new URL(spec.substring(4, spec.indexOf("!/"))).toURI());
                    try (FileSystem zip = FileSystems.newFileSystem(jar, Map.of())) {
                        collectClassNames(zip.getPath("/"), classNames);
                    }
                } else if ("file".equals(url.getProtocol())) {
                    final Path packageDir = Paths.get(url.toURI());
                    Path root = packageDir;
                    for (int i = 0; i < packagePrefix.split("\\.").length; i++) {
                        root = root.getParent();
                    }
                    collectClassNames(root, classNames);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (classNames.stream().noneMatch(name -> inPackage(name, packagePrefix))) {
            throw new IllegalArgumentException(
                    "packagePrefix: no class of " + packagePrefix + " on the class path (expected: a package "
                    + "with compiled classes)");
        }
        return check(classNames, packagePrefix);
    }

    private static void failIfAny(List<String> violations, String where) {
        if (!violations.isEmpty()) {
            throw new AssertionError(
                    violations.size() + " public API signature(s) in " + where + " mention an internal type:\n  "
                    + String.join("\n  ", violations));
        }
    }

    private static List<String> check(Set<String> classNames, String packagePrefix) {
        final Set<String> violations = new LinkedHashSet<>();
        for (String name : classNames) {
            if (!packagePrefix.isEmpty() && !inPackage(name, packagePrefix)) {
                continue;
            }
            final Class<?> type;
            try {
                type = Class.forName(name, false, loader());
            } catch (ClassNotFoundException | LinkageError e) {
                // Not skipped: a class that cannot be inspected could hide a violation.
                violations.add(name + ": cannot be loaded (" + e + ')');
                continue;
            }
            if (isInternal(type.getPackageName()) || !isApi(type)) {
                continue;
            }
            try {
                checkClass(type, violations);
            } catch (LinkageError | TypeNotPresentException e) {
                violations.add(name + ": cannot be inspected (" + e + ')');
            }
        }
        return violations.stream().sorted().collect(Collectors.toUnmodifiableList());
    }

    private static void checkClass(Class<?> type, Set<String> violations) {
        final String where = type.getName();
        if (type.getGenericSuperclass() != null) {
            report(violations, where, "superclass", type.getGenericSuperclass());
        }
        for (Type anInterface : type.getGenericInterfaces()) {
            report(violations, where, "interface", anInterface);
        }
        for (TypeVariable<?> variable : type.getTypeParameters()) {
            for (Type bound : variable.getBounds()) {
                report(violations, where, "type parameter " + variable.getName() + " bound", bound);
            }
        }
        for (Field field : type.getDeclaredFields()) {
            if (isVisible(field)) {
                report(violations, where, "field " + field.getName(), field.getGenericType());
            }
        }
        for (Constructor<?> constructor : type.getDeclaredConstructors()) {
            if (isVisible(constructor)) {
                checkExecutable(constructor, where + ".<init>", violations);
            }
        }
        for (Method method : type.getDeclaredMethods()) {
            if (isVisible(method) && !method.isBridge()) {
                report(violations, where, "method " + method.getName() + " return type",
                       method.getGenericReturnType());
                checkExecutable(method, where + '.' + method.getName(), violations);
            }
        }
    }

    private static void checkExecutable(Executable executable, String where, Set<String> violations) {
        // Without a generic signature this is the erased list; an inner class's implicit outer instance, if
        // listed, is the enclosing API class and so never internal.
        final Type[] parameters = executable.getGenericParameterTypes();
        for (int i = 0; i < parameters.length; i++) {
            report(violations, where, "parameter " + i, parameters[i]);
        }
        for (Type thrown : executable.getGenericExceptionTypes()) {
            report(violations, where, "throws", thrown);
        }
        for (TypeVariable<?> variable : executable.getTypeParameters()) {
            for (Type bound : variable.getBounds()) {
                report(violations, where, "type parameter " + variable.getName() + " bound", bound);
            }
        }
    }

    private static void report(Set<String> violations, String where, String what, Type type) {
        final Set<Class<?>> internal = new TreeSet<>((a, b) -> a.getName().compareTo(b.getName()));
        collectInternal(type, internal);
        for (Class<?> hidden : internal) {
            violations.add(where + ": " + what + " mentions " + hidden.getName() + " (" + type.getTypeName() + ')');
        }
    }

    private static void collectInternal(Type type, Set<Class<?>> internal) {
        if (type instanceof Class<?>) {
            Class<?> raw = (Class<?>) type;
            while (raw.isArray()) {
                raw = raw.getComponentType();
            }
            if (!raw.isPrimitive() && isInternal(raw.getPackageName())) {
                internal.add(raw);
            }
        } else if (type instanceof ParameterizedType) {
            final ParameterizedType parameterized = (ParameterizedType) type;
            collectInternal(parameterized.getRawType(), internal);
            if (parameterized.getOwnerType() != null) {
                collectInternal(parameterized.getOwnerType(), internal);
            }
            for (Type argument : parameterized.getActualTypeArguments()) {
                collectInternal(argument, internal);
            }
        } else if (type instanceof WildcardType) {
            final WildcardType wildcard = (WildcardType) type;
            for (Type bound : wildcard.getUpperBounds()) {
                collectInternal(bound, internal);
            }
            for (Type bound : wildcard.getLowerBounds()) {
                collectInternal(bound, internal);
            }
        } else if (type instanceof GenericArrayType) {
            collectInternal(((GenericArrayType) type).getGenericComponentType(), internal);
        }
        // A TypeVariable's bounds are checked where it is declared; following them here could loop
        // (<T extends Comparable<T>>).
    }

    private static boolean isApi(Class<?> type) {
        if (type.isSynthetic() || type.isAnonymousClass() || type.isLocalClass()) {
            return false;
        }
        for (Class<?> c = type; c != null; c = c.getDeclaringClass()) {
            final int modifiers = c.getModifiers();
            final boolean nested = c.getDeclaringClass() != null;
            if (!Modifier.isPublic(modifiers) && !(nested && Modifier.isProtected(modifiers))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isVisible(Member member) {
        final int modifiers = member.getModifiers();
        return !member.isSynthetic() && (Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers));
    }

    static boolean isInternal(String packageName) {
        return ('.' + packageName + '.').contains(".internal.");
    }

    private static boolean inPackage(String className, String packagePrefix) {
        return className.startsWith(packagePrefix + '.');
    }

    private static void collectClassNames(Path root, Set<String> classNames) {
        try (Stream<Path> files = Files.walk(root)) {
            final List<Path> classFiles = files.filter(p -> p.toString().endsWith(".class"))
                                               .collect(Collectors.toCollection(ArrayList::new));
            for (Path file : classFiles) {
                final String relative = root.relativize(file).toString().replace('\\', '/');
                if (relative.startsWith("META-INF/") || relative.endsWith("module-info.class")
                    || relative.endsWith("package-info.class")) {
                    continue;
                }
                classNames.add(relative.substring(0, relative.length() - ".class".length()).replace('/', '.'));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ClassLoader loader() {
        final ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : ApiBoundary.class.getClassLoader();
    }

    private ApiBoundary() {}
}
