// Wire-compatible copy of the public Kitex benchmark IDL
// (github.com/cloudwego/kitex-benchmark, codec/thrift/echo.thrift, commit 5d7d01ea4e6c, 2025-09-22).
// Field ids, types and requiredness are identical, so the benchmark's Kitex clients and servers
// (service EchoServer) can talk to kitex4j. Left out on purpose: the HTTP annotations (api.*, which do
// not affect the Thrift wire format) and the StreamServer service (TTHeader streaming, not supported).

namespace go echo
namespace java io.kitex4j.idl.echo

// Echo Args

struct Request {
    1: required string action,
    2: required string msg,
}

struct Response {
    1: required string action,
    2: required string msg,
}

// EchoComplex Args

struct SubMessage {
    1: optional i64 id;
    2: optional string value;
}

struct Message {
    1: optional i64 id;
    2: optional string value;
    3: optional list<SubMessage> subMessages;
}

struct ComplexRequest {
    1: required string action
    2: required string msg
    3: required map<string, SubMessage> msgMap
    4: required list<SubMessage> subMsgs
    5: optional set<Message> msgSet
    6: required Message flagMsg
    7: optional string mockCost,
}

struct ComplexResponse {
    1: required string action
    2: required string msg
    3: required map<string, SubMessage> msgMap
    4: required list<SubMessage> subMsgs
    5: optional set<Message> msgSet
    6: required Message flagMsg
}

service EchoServer {
    Response Echo(1: Request req)
    ComplexResponse EchoComplex(1: ComplexRequest req)
}
