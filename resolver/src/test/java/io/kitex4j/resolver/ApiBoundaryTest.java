package io.kitex4j.resolver;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public/internal boundary of {@code kitex4j-registry} and {@code kitex4j-resolver}: no public
 * or protected signature in an API package mentions a type from an {@code .internal.} package.
 */
class ApiBoundaryTest {

    private static final List<String> API_PACKAGES = List.of("io.kitex4j.registry", "io.kitex4j.resolver");

    @Test
    void noPublicSignatureMentionsAnInternalType() throws Exception {
        final List<String> leaks = new ArrayList<>();
        int checked = 0;
        for (String pkg : API_PACKAGES) {
            for (String name : classNames(pkg)) {
                final Class<?> c = Class.forName(name, false, getClass().getClassLoader());
                if (!isExported(c)) {
                    continue;
                }
                checked++;
                check(leaks, c.getName() + " extends", c.getGenericSuperclass());
                for (Type t : c.getGenericInterfaces()) {
                    check(leaks, c.getName() + " implements", t);
                }
                for (Field f : c.getDeclaredFields()) {
                    if (visible(f.getModifiers())) {
                        check(leaks, c.getName() + "." + f.getName(), f.getGenericType());
                    }
                }
                final List<Executable> members = new ArrayList<>();
                Collections.addAll(members, c.getDeclaredConstructors());
                Collections.addAll(members, c.getDeclaredMethods());
                for (Executable e : members) {
                    if (!visible(e.getModifiers()) || e.isSynthetic()) {
                        continue;
                    }
                    final String where = c.getName() + "." + (e instanceof Constructor<?> ? "<init>" : e.getName());
                    if (e instanceof Method m) {
                        check(leaks, where + " returns", m.getGenericReturnType());
                    }
                    for (Type p : e.getGenericParameterTypes()) {
                        check(leaks, where + " takes", p);
                    }
                    for (Type x : e.getGenericExceptionTypes()) {
                        check(leaks, where + " throws", x);
                    }
                }
            }
        }
        assertThat(checked).as("public types found").isGreaterThan(10);
        assertThat(leaks).isEmpty();
    }

    /** Public, and nested only in public types. */
    private static boolean isExported(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
            if (!Modifier.isPublic(k.getModifiers())) {
                return false;
            }
        }
        return !c.isSynthetic() && !c.isAnonymousClass();
    }

    private static boolean visible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    private static void check(List<String> leaks, String where, Type type) {
        if (type == null) {
            return;
        }
        if (type instanceof Class<?> c) {
            Class<?> k = c;
            while (k.isArray()) {
                k = k.getComponentType();
            }
            if (k.getName().contains(".internal.")) {
                leaks.add(where + " " + k.getName());
            }
        } else if (type instanceof ParameterizedType p) {
            check(leaks, where, p.getRawType());
            for (Type a : p.getActualTypeArguments()) {
                check(leaks, where, a);
            }
        } else if (type instanceof WildcardType w) {
            for (Type b : w.getUpperBounds()) {
                check(leaks, where, b);
            }
            for (Type b : w.getLowerBounds()) {
                check(leaks, where, b);
            }
        } else if (type instanceof GenericArrayType g) {
            check(leaks, where, g.getGenericComponentType());
        } else if (type instanceof TypeVariable<?> v) {
            for (Type b : v.getBounds()) {
                if (!(b instanceof ParameterizedType)) { // B extends AbstractEtcdBuilder<B>: no recursion
                    check(leaks, where, b);
                }
            }
        }
    }

    /** The classes directly in {@code pkg} (not in sub-packages), from directories or jars. */
    private static List<String> classNames(String pkg) throws IOException, URISyntaxException {
        final TreeSet<String> names = new TreeSet<>();
        final String dir = pkg.replace('.', '/');
        for (URL url : Collections.list(ApiBoundaryTest.class.getClassLoader().getResources(dir))) {
            if (url.getProtocol().equals("file")) {
                try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
                    files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".class"))
                            .forEach(n -> names.add(pkg + "." + n.substring(0, n.length() - 6).replace('/', '.')));
                }
            } else if (url.getProtocol().equals("jar")) {
                try (JarFile jar = ((JarURLConnection) url.openConnection()).getJarFile()) {
                    jar.stream().map(e -> e.getName())
                            .filter(n -> n.startsWith(dir + "/") && n.endsWith(".class")
                                    && n.indexOf('/', dir.length() + 1) < 0)
                            .forEach(n -> names.add(n.substring(0, n.length() - 6).replace('/', '.')));
                }
            }
        }
        // Test classes share the package names; only main classes are API.
        names.removeIf(n -> n.endsWith("Test") || n.contains("Test$") || n.endsWith("TestSupport")
                || n.contains("TestSupport$"));
        return new ArrayList<>(names);
    }
}
