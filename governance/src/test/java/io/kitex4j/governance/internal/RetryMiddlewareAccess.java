package io.kitex4j.governance.internal;

import io.kitex4j.governance.Backoff;
import java.time.Duration;

/** The package-private helpers of {@link RetryMiddleware}, for tests in other packages. */
public final class RetryMiddlewareAccess {

    private RetryMiddlewareAccess() {
    }

    public static long backoffMillis(Backoff backoff) {
        return RetryMiddleware.backoffMillis(backoff);
    }

    public static String goDuration(Duration d) {
        return RetryMiddleware.goDuration(d);
    }
}
