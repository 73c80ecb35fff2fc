// Test-only IDL for the server tests. Regenerate from this directory with Apache Thrift 0.17.0:
//   thrift --gen java:private_members,generated_annotations=suppress -out ../../../../../ server_test.thrift
// EchoService is the IDL of the worked example in kitex-wire.md §2.3.

namespace java io.kitex4j.thriftrpc.server.testgen

service EchoService {
    string echo(1: string msg)
}

// Has a method named like EchoService's, for the routing tests.
service OtherEchoService {
    string echo(1: string msg)
    string other(1: string msg)
}
