package io.kitex4j.governance;

import io.kitex4j.core.Metainfo;
import io.kitex4j.core.Transport;
import io.kitex4j.core.rpc.AttributeKey;
import io.kitex4j.core.rpc.CallContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A client call's context for middleware unit tests: the identity is fixed, the remote address settable. */
final class TestCallContext implements CallContext {

    private final String from;
    private final String to;
    private final String method;
    private final Map<AttributeKey<?>, Object> attributes = new ConcurrentHashMap<>();
    volatile InetSocketAddress remote;
    volatile int attempt = 1;
    private volatile Metainfo metainfo = Metainfo.empty();

    TestCallContext(String from, String to, String method) {
        this.from = from;
        this.to = to;
        this.method = method;
    }

    @Override
    public Side side() {
        return Side.CLIENT;
    }

    @Override
    public String callerService() {
        return from;
    }

    @Override
    public String callerMethod() {
        return "";
    }

    @Override
    public String calleeService() {
        return to;
    }

    @Override
    public String idlService() {
        return "EchoServer";
    }

    @Override
    public String method() {
        return method;
    }

    @Override
    public Transport transport() {
        return Transport.TTHEADER_FRAMED;
    }

    @Override
    public boolean oneway() {
        return false;
    }

    @Override
    public Duration rpcTimeout() {
        return null;
    }

    @Override
    public long deadlineNanos() {
        return 0;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public int attempt() {
        return attempt;
    }

    @Override
    public Metainfo metainfo() {
        return metainfo;
    }

    @Override
    public void setMetainfo(Metainfo metainfo) {
        this.metainfo = metainfo;
    }

    @Override
    public Map<String, String> backwardValues() {
        return Map.of();
    }

    @Override
    public void sendBackward(String key, String value) {
        throw new UnsupportedOperationException();
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T attribute(AttributeKey<T> key) {
        return (T) attributes.get(key);
    }

    @Override
    public <T> void setAttribute(AttributeKey<T> key, T value) {
        if (value == null) {
            attributes.remove(key);
        } else {
            attributes.put(key, value);
        }
    }
}
