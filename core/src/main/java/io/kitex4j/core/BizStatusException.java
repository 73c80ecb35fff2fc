package io.kitex4j.core;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Kitex business status error ({@code kerrors.BizStatusError}), in both directions.
 *
 * <p><b>Server:</b> a handler throws it (e.g. {@code throw new BizStatusException(1001, "no stock")});
 * the server replies with a normal REPLY whose result struct is empty, and puts the status in the
 * response's TTHeader string keys:
 * <pre>
 * biz-status   "1001"                      int32, decimal
 * biz-message  "no stock"                  always written, may be empty
 * biz-extra    "{\"sku\":\"42\"}"          a JSON object of strings, only if there is extra
 * </pre>
 * <b>Client:</b> the client rebuilds it from the response header; the call then fails with it.
 * As with Kitex, this needs a TTHeader transport: over Buffered or Framed the status is silently lost and
 * the caller sees an empty success.
 */
public final class BizStatusException extends RpcException {

    private static final long serialVersionUID = 1L;

    private final int statusCode;
    private final String statusMessage;
    private final Map<String, String> extra;

    /** A business error without extra information. */
    public BizStatusException(int statusCode, String statusMessage) {
        this(statusCode, statusMessage, Map.of());
    }

    /**
     * A business error with extra information.
     *
     * @param statusCode the status; Kitex clients ignore 0 ("no error")
     * @param statusMessage the message
     * @param extra string key-values, sent as a JSON object
     */
    public BizStatusException(int statusCode, String statusMessage, Map<String, String> extra) {
        // Kitex's BizStatusError.Error() text.
        super("biz error: code=" + statusCode + ", msg=" + requireNonNull(statusMessage, "statusMessage"), null, true);
        this.statusCode = statusCode;
        this.statusMessage = statusMessage;
        this.extra = requireNonNull(extra, "extra").isEmpty()
                     ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }

    /** The business status code. */
    public int statusCode() {
        return statusCode;
    }

    /** The business status message. */
    public String statusMessage() {
        return statusMessage;
    }

    /** The extra information, unmodifiable; empty if none. */
    public Map<String, String> extra() {
        return extra;
    }

}
