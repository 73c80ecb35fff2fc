/**
 * OpenTelemetry for kitex4j: {@link io.kitex4j.opentelemetry.KitexTracing} gives a client and a server
 * {@link io.kitex4j.core.middleware.Middleware} that trace calls and record duration metrics the way Go Kitex's
 * {@code kitex-contrib/obs-opentelemetry} v0.3.0 does, so Java and Go services share traces;
 * {@link io.kitex4j.opentelemetry.KitexAttributes} names the keys. Code under {@code .internal} is not API.
 */
package io.kitex4j.opentelemetry;
