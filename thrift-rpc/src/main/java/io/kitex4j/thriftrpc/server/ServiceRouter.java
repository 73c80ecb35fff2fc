package io.kitex4j.thriftrpc.server;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.kitex4j.thriftrpc.internal.codec.KitexErrorTypes;

/**
 * Finds the method for a request by IDL service name ({@code isn}) and method name, exactly as
 * Kitex's {@code services.SearchService} (server/service.go) with {@code strict=false} for Thrift,
 * and produces Kitex's errors when there is none ({@code codec.SetOrCheckMethodName},
 * pkg/remote/codec/util.go). Immutable.
 */
final class ServiceRouter {

    private final Map<String, ServiceDefinition> services;
    private final ServiceDefinition fallback;
    private final List<ServiceDefinition> nonFallback;
    private final boolean refuseTrafficWithoutServiceName;

    ServiceRouter(List<ServiceDefinition> services, String fallbackName, boolean refuseTrafficWithoutServiceName) {
        if (services.isEmpty()) {
            throw new IllegalStateException("no service registered; call service(...) on the builder");
        }
        final Map<String, ServiceDefinition> byName = new LinkedHashMap<>();
        for (ServiceDefinition s : services) {
            if (byName.putIfAbsent(s.name(), s) != null) {
                // Kitex: "service [%s] has already been registered"
                throw new IllegalArgumentException("service [" + s.name() + "] has already been registered");
            }
        }
        this.services = Collections.unmodifiableMap(byName);
        if (fallbackName != null) {
            fallback = byName.get(fallbackName);
            if (fallback == null) {
                throw new IllegalArgumentException("fallback service [" + fallbackName + "] is not registered");
            }
        } else {
            fallback = null;
        }
        final List<ServiceDefinition> others = new ArrayList<>(byName.values());
        others.remove(fallback);
        nonFallback = List.copyOf(others);
        this.refuseTrafficWithoutServiceName = refuseTrafficWithoutServiceName;
        if (!refuseTrafficWithoutServiceName) {
            checkConflicts();
        }
    }

    // Kitex services.check(): a method in several non-fallback services is ambiguous for requests
    // without isn, so it refuses to start unless a fallback service has that method.
    private void checkConflicts() {
        final Map<String, Integer> count = new HashMap<>();
        for (ServiceDefinition s : services.values()) {
            for (String m : s.methods().keySet()) {
                if (s == fallback) {
                    count.put(m, -1);
                } else {
                    count.compute(m, (k, n) -> n == null ? 1 : n < 0 ? n : n + 1);
                }
            }
        }
        for (Map.Entry<String, Integer> e : count.entrySet()) {
            if (e.getValue() > 1) {
                throw new IllegalArgumentException("method name [" + e.getKey()
                        + "] is conflicted between services but no fallback service is specified");
            }
        }
    }

    Map<String, ServiceDefinition> services() {
        return services;
    }

    /**
     * Routes one request.
     *
     * @param isn the TTHeader {@code isn} value; {@code null} or empty when absent
     * @param method the Thrift message's method name, not empty
     */
    Route route(String isn, String method) {
        final String svcName = isn == null ? "" : isn;
        final ServiceDefinition svc = search(svcName, method);
        if (svc == null) {
            return new Route(null, KitexErrorTypes.UNKNOWN_SERVICE, "unknown service " + svcName + ", method " + method);
        }
        final MethodDefinition m = svc.method(method);
        if (m == null) {
            return new Route(null, KitexErrorTypes.UNKNOWN_METHOD, "unknown method " + method + " (service " + svcName + ")");
        }
        return new Route(m, 0, null);
    }

    private ServiceDefinition search(String svcName, String method) {
        if (refuseTrafficWithoutServiceName) {
            return services.get(svcName);
        }
        if (svcName.isEmpty()) {
            // Requests without isn (no TTHeader, or Kitex < v0.9): search by method name.
            if (fallback != null && fallback.method(method) != null) {
                return fallback;
            }
            for (ServiceDefinition s : nonFallback) {
                if (s.method(method) != null) {
                    return s;
                }
            }
            return null;
        }
        final ServiceDefinition svc = services.get(svcName);
        if (svc != null) {
            return svc;
        }
        // An isn we do not know (e.g. a proxy renamed it): only a unique match by method name.
        ServiceDefinition unique = null;
        if (fallback != null && fallback.method(method) != null) {
            unique = fallback;
        }
        for (ServiceDefinition s : nonFallback) {
            if (s.method(method) != null) {
                if (unique != null) {
                    return null;
                }
                unique = s;
            }
        }
        return unique;
    }

    /** The method found, or the Kitex error (TApplicationException type and message). */
    record Route(MethodDefinition method, int errorType, String errorMessage) {}
}
