// Interop test IDL shared by the Java (kitex4j) and Go (Kitex) test servers and clients.
// It uses every Thrift type and every kind of method. Names are kept Go-friendly: camelCase fields
// (Go: BoolField, Java: getBoolField()), no Go/Java keywords or restricted identifiers, no struct named
// like a generated type (<Service><Method>Args/Result), no map with struct/double keys.

namespace go interop
namespace java io.kitex4j.idl.interop

const i32 DEFAULT_INT = 42
const string DEFAULT_STRING = "kitex4j"

enum Color {
    UNKNOWN = 0,
    RED = 1,
    GREEN = 2,
    BLUE = 3,
    // a value far from the others, to catch code that assumes dense enums
    INFRARED = 1000,
}

struct Inner {
    1: required i32 id,
    2: optional string name,
    3: optional list<i64> values,
}

union Choice {
    1: i32 number,
    2: string text,
    3: Inner inner,
    4: binary blob,
    5: list<string> words,
}

// Every Thrift type, with required, optional and default requiredness, and default values.
struct AllTypes {
    1: required bool boolField,
    2: required i8 byteField,
    3: required i16 i16Field,
    4: required i32 i32Field,
    5: required i64 i64Field,
    6: required double doubleField,
    7: required string stringField,
    8: required binary binaryField,

    10: optional list<string> stringList,
    11: optional set<i32> i32Set,
    12: optional map<string, i64> stringToI64,
    13: optional list<Inner> innerList,
    14: optional set<Inner> innerSet,
    15: optional map<i32, Inner> i32ToInner,
    16: optional map<string, list<set<i16>>> nestedContainers,
    17: optional list<binary> binaryList,
    18: optional map<Color, string> colorNames,
    19: optional list<bool> boolList,
    20: optional list<double> doubleList,
    21: optional set<string> stringSet,

    30: optional Inner inner,
    31: optional Color color,
    32: optional Choice choice,

    40: optional bool optBool,
    41: optional i8 optByte,
    42: optional i16 optI16,
    43: optional i32 optI32,
    44: optional i64 optI64,
    45: optional double optDouble,
    46: optional string optString,
    47: optional binary optBinary,

    // default requiredness ("opt-in, req-out"), with and without default values
    50: i32 defaultInt = DEFAULT_INT,
    51: string defaultString = DEFAULT_STRING,
    52: Color defaultColor = Color.GREEN,
    53: list<i32> defaultList = [1, 2, 3],
    54: map<string, string> defaultMap = {"k": "v"},
    55: string plainString,
    // optional with default values
    56: optional double optDoubleWithDefault = 2.5,
    57: optional bool optBoolWithDefault = true,
}

exception InvalidArgument {
    1: i32 code,
    2: string message,
}

exception NotFound {
    1: string key,
    2: string message,
}

// What a server saw of one request. All fields are filled by the serving side.
struct CallInfo {
    // metainfo values received, without the RPC_TRANSIT_ / RPC_PERSIST_ prefixes
    1: required map<string, string> transients,
    2: required map<string, string> persistents,
    // the caller as announced by the client (TTHeader int keys FROM_SERVICE=3, FROM_METHOD=20)
    3: optional string callerService,
    4: optional string callerMethod,
    // the callee as announced by the client (TO_SERVICE=6, TO_METHOD=9) and the method actually dispatched
    5: optional string calleeService,
    6: optional string calleeMethod,
    7: optional string method,
    // RPC timeout the client announced (RPC_TIMEOUT=12, ms); -1 if none
    8: optional i64 timeoutMillis = -1,
    // time left until the server-side deadline when the handler started (ms); -1 if no deadline
    9: optional i64 deadlineRemainingMillis = -1,
    // "BUFFERED", "FRAMED", "TTHEADER" or "TTHEADER_FRAMED"
    10: optional string transport,
    11: optional i32 seqId,
    12: optional string remoteAddress,
    // raw TTHeader key-values, for tests of the header codec itself
    13: optional map<string, string> headerStrings,
    14: optional map<i32, string> headerInts,
    // server identity, to tell Java and Go servers apart
    15: optional string serverName,
}

service InteropService {
    // no arguments, no result
    void ping(),

    // echo methods
    AllTypes echoAll(1: AllTypes value),
    list<AllTypes> echoAllList(1: list<AllTypes> values),
    Choice echoChoice(1: Choice value),
    Color echoColor(1: Color value),
    string echoString(1: string value),
    i64 echoI64(1: i64 value),
    double echoDouble(1: double value),
    bool echoBool(1: bool value),
    map<string, list<Inner>> echoContainers(1: map<string, list<Inner>> value),
    // many arguments of every primitive type; returns an AllTypes with fields 1..8 set from them
    AllTypes echoFields(1: bool boolValue, 2: i8 byteValue, 3: i16 i16Value, 4: i32 i32Value,
                        5: i64 i64Value, 6: double doubleValue, 7: string stringValue, 8: binary binaryValue),

    // large payloads
    binary echoBinary(1: binary data),
    // a response of the given size (bytes i % 256) to a small request
    binary makeBinary(1: i32 size),

    // metainfo and caller info as received by the server
    CallInfo callInfo(),
    // the server calls callInfo() on target (an address "host:port" or a service name) with its own
    // client, forwarding metainfo as Kitex does (persistent values pass on, transient ones do not),
    // and returns what the target saw
    CallInfo callInfoVia(1: string target),

    // timeouts: returns after the given time
    void sleep(1: i64 millis),

    // errors
    // kind 0: returns message; 1: throws InvalidArgument(code, message); 2: throws NotFound(message, message)
    string throwDeclared(1: i32 kind, 2: i32 code, 3: string message)
        throws (1: InvalidArgument invalidArgument, 2: NotFound notFound),
    // answers with a Kitex business status error (biz-status/biz-message/biz-extra in the TTHeader)
    string bizError(1: i32 code, 2: string message, 3: map<string, string> extra),
    // the handler raises an error that is not declared in the IDL (arrives as TApplicationException)
    void fail(1: string message),

    // oneway: the server stores value under key; onewayGet reads it back ("" if absent)
    oneway void onewayPut(1: string key, 2: string value),
    string onewayGet(1: string key),
}
