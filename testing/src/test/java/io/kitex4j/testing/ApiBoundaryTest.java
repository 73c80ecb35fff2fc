package io.kitex4j.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

class ApiBoundaryTest {

    private static final Path TEST_CLASSES = Path.of("target/test-classes");
    private static final String BAD = "io.kitex4j.testing.apifixture.bad";
    private static final String HIDDEN = "io.kitex4j.testing.apifixture.internal.Hidden";

    @Test
    void findsEveryKindOfLeak() {
        final List<String> violations = ApiBoundary.violations(TEST_CLASSES, BAD);

        assertThat(violations).containsExactlyInAnyOrder(
                BAD + ".BoundedByHidden: type parameter T bound mentions " + HIDDEN + " (" + HIDDEN + ')',
                BAD + ".ExtendsHidden: superclass mentions " + HIDDEN + " (" + HIDDEN + ')',
                BAD + ".ImplementsHidden: interface mentions " + HIDDEN + "Interface (" + HIDDEN + "Interface)",
                BAD + ".ImplementsHidden: interface mentions " + HIDDEN
                + " (java.util.function.Supplier<" + HIDDEN + ">)",
                BAD + ".ImplementsHidden: method get return type mentions " + HIDDEN + " (" + HIDDEN + ')',
                BAD + ".Members: field field mentions " + HIDDEN + " (" + HIDDEN + ')',
                BAD + ".Members: field listField mentions " + HIDDEN + " (java.util.List<" + HIDDEN + ">)",
                BAD + ".Members.<init>: parameter 0 mentions " + HIDDEN + " (" + HIDDEN + ')',
                BAD + ".Members: method returns return type mentions " + HIDDEN + " (" + HIDDEN + ')',
                BAD + ".Members.wildcard: parameter 0 mentions " + HIDDEN
                + " (java.util.Map<java.lang.String, ? extends " + HIDDEN + ">)",
                BAD + ".Members.throwsHidden: throws mentions " + HIDDEN + "Exception (" + HIDDEN + "Exception)",
                BAD + ".Members.boundedMethod: type parameter T bound mentions " + HIDDEN + "Interface ("
                + HIDDEN + "Interface)",
                BAD + ".Members: method array return type mentions " + HIDDEN + " (" + HIDDEN + "[])",
                BAD + ".Members: method genericArray return type mentions " + HIDDEN
                + " (java.util.List<" + HIDDEN + ">[])",
                BAD + ".Members: method protectedReturn return type mentions " + HIDDEN
                + " (java.util.Optional<" + HIDDEN + "[]>)",
                BAD + ".Members$Nested: method nested return type mentions " + HIDDEN + " (" + HIDDEN + ')');
    }

    @Test
    void assertionListsEveryViolation() {
        assertThatThrownBy(() -> ApiBoundary.assertNoInternalTypes(BAD))
                .isInstanceOf(AssertionError.class)
                .hasMessageStartingWith("16 public API signature(s) in " + BAD + " mention an internal type:")
                .hasMessageContaining(BAD + ".Members$Nested: method nested");
    }

    @Test
    void privateUseAndInternalPackagesAreAllowed() {
        ApiBoundary.assertNoInternalTypes("io.kitex4j.testing.apifixture.good");
        ApiBoundary.assertNoInternalTypes("io.kitex4j.testing.apifixture.internal");
        assertThat(ApiBoundary.violations(TEST_CLASSES, "io.kitex4j.testing.apifixture.good")).isEmpty();
    }

    @Test
    void internalIsAPackageSegment() {
        assertThat(ApiBoundary.isInternal("io.kitex4j.core.internal")).isTrue();
        assertThat(ApiBoundary.isInternal("io.kitex4j.thriftrpc.internal.codec")).isTrue();
        assertThat(ApiBoundary.isInternal("io.kitex4j.internalized")).isFalse();
        assertThat(ApiBoundary.isInternal("io.kitex4j.core")).isFalse();
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> ApiBoundary.violations(Path.of("target/no-such-dir"), ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("classesDirectory")
                .hasMessageContaining("(expected: ");
        assertThatThrownBy(() -> ApiBoundary.violations("io.kitex4j.nosuchpackage"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("packagePrefix");
    }

    @Test
    void thisModulesApiIsClean() {
        ApiBoundary.assertNoInternalTypes(Path.of("target/classes"));
    }
}
