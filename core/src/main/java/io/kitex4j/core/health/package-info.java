/**
 * Whether this process is healthy as a mesh member: {@link io.kitex4j.core.health.MeshHealth} over
 * the discovery SPIs ({@code Registry}, {@code Registration}, {@code Resolver}, {@code ServiceWatch}),
 * for a health endpoint or a framework's health indicator.
 */
package io.kitex4j.core.health;
