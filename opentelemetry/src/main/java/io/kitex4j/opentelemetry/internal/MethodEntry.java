package io.kitex4j.opentelemetry.internal;

/**
 * What is the same for every call of one IDL method: its span name ({@code [package.]Service/Method}, Go's
 * {@code spanNaming}), which is also the stable conventions' {@code rpc.method}, and the metric attribute slots.
 */
final class MethodEntry {

    final String method;
    final String spanName;
    // [0] success or not an error, [1] error: a service with failures alternates between the two.
    final AttributeSlot[] clientGo = {new AttributeSlot(), new AttributeSlot()};
    final AttributeSlot[] serverGo = {new AttributeSlot(), new AttributeSlot()};
    final AttributeSlot[] clientStable = {new AttributeSlot(), new AttributeSlot()};
    final AttributeSlot[] serverStable = {new AttributeSlot(), new AttributeSlot()};

    MethodEntry(String idlPackage, String idlService, String method) {
        this.method = method;
        this.spanName = idlPackage.isEmpty() ? idlService + '/' + method
                                             : idlPackage + '.' + idlService + '/' + method;
    }
}
