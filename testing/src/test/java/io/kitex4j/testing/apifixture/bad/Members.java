package io.kitex4j.testing.apifixture.bad;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.kitex4j.testing.apifixture.internal.Hidden;
import io.kitex4j.testing.apifixture.internal.HiddenException;
import io.kitex4j.testing.apifixture.internal.HiddenInterface;

/** Leaks through each kind of member; the private and package-private ones are allowed. */
@SuppressWarnings("unused")
public class Members {
    public Hidden field;
    protected List<Hidden> listField;
    private Hidden privateField;
    Hidden packagePrivateField;

    public Members(Hidden hidden) {}

    private Members() {}

    public Hidden returns() {
        return null;
    }

    public void wildcard(Map<String, ? extends Hidden> map) {}

    public void throwsHidden() throws HiddenException {}

    public <T extends HiddenInterface> void boundedMethod(T value) {}

    public Hidden[] array() {
        return null;
    }

    public List<Hidden>[] genericArray() {
        return null;
    }

    protected Optional<Hidden[]> protectedReturn() {
        return Optional.empty();
    }

    Hidden packagePrivateMethod() {
        return null;
    }

    private void privateMethod(Hidden hidden) {}

    /** A public nested class is API as well. */
    public static final class Nested {
        public Hidden nested() {
            return null;
        }
    }

    /** Not API: package-private. */
    static final class NotApi {
        public Hidden notApi() {
            return null;
        }
    }
}
