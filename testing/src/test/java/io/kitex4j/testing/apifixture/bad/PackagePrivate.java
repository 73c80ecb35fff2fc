package io.kitex4j.testing.apifixture.bad;

import io.kitex4j.testing.apifixture.internal.Hidden;

/** Not API: package-private, so its public members are not checked. */
class PackagePrivate {
    public Hidden hidden;
}
