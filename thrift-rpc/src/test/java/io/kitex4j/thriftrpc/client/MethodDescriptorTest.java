package io.kitex4j.thriftrpc.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kitex4j.idl.echo.EchoServer;
import io.kitex4j.idl.echo.Request;
import io.kitex4j.idl.interop.InteropService;
import io.kitex4j.idl.interop.InvalidArgument;
import io.kitex4j.idl.interop.NotFound;
import io.kitex4j.thriftrpc.testing.NettyLeakDetection;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.TException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(NettyLeakDetection.class)
class MethodDescriptorTest {

    private static MethodDescriptor interop(String name) {
        for (Method m : InteropService.Iface.class.getMethods()) {
            if (m.getName().equals(name)) {
                return ServiceDescriptor.of(InteropService.Iface.class).method(m);
            }
        }
        throw new AssertionError(name);
    }

    @Test
    void idlServiceNameIsTheGeneratedOuterClass() {
        assertThat(ServiceDescriptor.of(InteropService.Iface.class).idlService()).isEqualTo("InteropService");
        assertThat(ServiceDescriptor.of(EchoServer.Iface.class).idlService()).isEqualTo("EchoServer");
    }

    @Test
    void describesEveryMethodOfTheInteropService() {
        for (Method m : InteropService.Iface.class.getMethods()) {
            final MethodDescriptor d = ServiceDescriptor.of(InteropService.Iface.class).method(m);
            assertThat(d).as(m.getName()).isNotNull();
            assertThat(d.name()).isEqualTo(m.getName());
            assertThat(d.oneway()).as(m.getName()).isEqualTo(m.getName().equals("onewayPut"));
        }
    }

    @Test
    void buildsArgsWithTheGeneratedConstructor() {
        final var args = (InteropService.echoFields_args) interop("echoFields").newArgs(new Object[] {
                true, (byte) -1, (short) 7, 42, Long.MIN_VALUE, 2.5d, "s", ByteBuffer.wrap(new byte[] {1, 2})});
        assertThat(args.isBoolValue()).isTrue();
        assertThat(args.getByteValue()).isEqualTo((byte) -1);
        assertThat(args.getI64Value()).isEqualTo(Long.MIN_VALUE);
        assertThat(args.getBinaryValue()).containsExactly(1, 2);
        assertThat(interop("ping").newArgs(null)).isInstanceOf(InteropService.ping_args.class);
        final var echo = (EchoServer.Echo_args) ServiceDescriptor.of(EchoServer.Iface.class).method(
                method(EchoServer.Iface.class, "Echo")).newArgs(new Object[] {new Request("a", "b")});
        assertThat(echo.getReq().getMsg()).isEqualTo("b");
    }

    @Test
    void unwrapsSuccessVoidAndMissingResults() throws TException {
        assertThat(interop("echoI64").unwrap(new InteropService.echoI64_result().setSuccess(-5L))).isEqualTo(-5L);
        assertThat(interop("ping").unwrap(new InteropService.ping_result())).isNull();
        assertThatThrownBy(() -> interop("echoString").unwrap(new InteropService.echoString_result()))
                .isInstanceOfSatisfying(TApplicationException.class,
                        e -> assertThat(e.getType()).isEqualTo(TApplicationException.MISSING_RESULT))
                .hasMessage("echoString failed: unknown result");
        // Generated getFieldValue returns byte[] for binary; the Iface returns a ByteBuffer.
        final Object binary = interop("echoBinary").unwrap(
                new InteropService.echoBinary_result().setSuccess(new byte[] {9}));
        assertThat(binary).isEqualTo(ByteBuffer.wrap(new byte[] {9}));
    }

    @Test
    void throwsTheDeclaredExceptionThatIsSet() {
        final InvalidArgument ia = new InvalidArgument(3, "bad");
        assertThatThrownBy(() -> interop("throwDeclared").unwrap(
                new InteropService.throwDeclared_result().setInvalidArgument(ia))).isSameAs(ia);
        final NotFound nf = new NotFound("k", "gone");
        assertThatThrownBy(() -> interop("throwDeclared").unwrap(
                new InteropService.throwDeclared_result().setNotFound(nf))).isSameAs(nf);
    }

    interface NotGenerated {
        void x();
    }

    @Test
    void refusesInterfacesThatAreNotGenerated() {
        assertThatThrownBy(() -> ServiceDescriptor.of(NotGenerated.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("iface:");
        assertThatThrownBy(() -> ServiceDescriptor.of(String.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an interface");
    }

    private static Method method(Class<?> type, String name) {
        for (Method m : type.getMethods()) {
            if (m.getName().equals(name)) {
                return m;
            }
        }
        throw new AssertionError(name);
    }
}
