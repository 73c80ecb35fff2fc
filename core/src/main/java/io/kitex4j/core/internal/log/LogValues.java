package io.kitex4j.core.internal.log;

/**
 * Makes a value that came from outside (the wire, etcd) safe to put in a log line: every byte or
 * character that is not printable ASCII is written as {@code \xNN} (or {@code \\uNNNN} above
 * {@code 0xFF}), a backslash as {@code \\}, and the result is cut at {@link #MAX_CHARS} characters
 * with the number of characters left out. A value so escaped can never split a log line, forge
 * another one, or send terminal escape sequences, and its size in the log is bounded.
 *
 * <p>Internal: not part of kitex4j's API.
 */
public final class LogValues {

    /** The most characters of one value that are kept in a log line, before escaping. */
    public static final int MAX_CHARS = 128;

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private LogValues() {}

    /** Escapes and truncates {@code value} to {@link #MAX_CHARS}; {@code null} is written as {@code null}. */
    public static String escape(CharSequence value) {
        return escape(value, MAX_CHARS);
    }

    /** Escapes and truncates {@code value} to {@code maxChars} source characters. */
    public static String escape(CharSequence value, int maxChars) {
        if (value == null) {
            return "null";
        }
        final int n = value.length();
        final int kept = Math.min(n, maxChars);
        if (isClean(value, kept) && kept == n) {
            return value.toString();
        }
        final StringBuilder out = new StringBuilder(kept + 16);
        for (int i = 0; i < kept; i++) {
            final char c = value.charAt(i);
            if (c == '\\') {
                out.append("\\\\");
            } else if (c >= 0x20 && c < 0x7f) {
                out.append(c);
            } else if (c <= 0xff) {
                out.append("\\x").append(HEX[c >> 4]).append(HEX[c & 0xf]);
            } else {
                out.append("\\u").append(HEX[c >> 12]).append(HEX[(c >> 8) & 0xf])
                   .append(HEX[(c >> 4) & 0xf]).append(HEX[c & 0xf]);
            }
        }
        if (kept < n) {
            out.append("...(").append(n - kept).append(" more chars)");
        }
        return out.toString();
    }

    /** Escapes raw bytes (each byte that is not printable ASCII as {@code \xNN}), truncated to {@link #MAX_CHARS}. */
    public static String escapeBytes(byte[] value) {
        if (value == null) {
            return "null";
        }
        final int kept = Math.min(value.length, MAX_CHARS);
        final StringBuilder out = new StringBuilder(kept + 16);
        for (int i = 0; i < kept; i++) {
            final int b = value[i] & 0xff;
            if (b == '\\') {
                out.append("\\\\");
            } else if (b >= 0x20 && b < 0x7f) {
                out.append((char) b);
            } else {
                out.append("\\x").append(HEX[b >> 4]).append(HEX[b & 0xf]);
            }
        }
        if (kept < value.length) {
            out.append("...(").append(value.length - kept).append(" more bytes)");
        }
        return out.toString();
    }

    /**
     * {@code t} itself if the messages of it and its causes are printable ASCII; otherwise a copy of the
     * chain with the same stack traces whose messages are {@code "<class name>: <escaped message>"}, so
     * that a logged stack trace cannot split a line either.
     */
    public static Throwable escapeMessages(Throwable t) {
        boolean clean = true;
        int n = 0;
        for (Throwable c = t; c != null && n < 16; c = c.getCause(), n++) {
            final String m = c.getMessage();
            clean &= m == null || isClean(m, m.length()) && m.length() <= MAX_CHARS;
        }
        return clean ? t : copyEscaped(t, 16);
    }

    private static Throwable copyEscaped(Throwable t, int levels) {
        final Throwable cause = t.getCause() != null && levels > 1 ? copyEscaped(t.getCause(), levels - 1) : null;
        final Escaped copy = new Escaped(t.getClass().getName()
                                         + (t.getMessage() == null ? "" : ": " + escape(t.getMessage())), cause);
        copy.setStackTrace(t.getStackTrace());
        return copy;
    }

    /** A logged stand-in for an exception whose message was not printable. */
    private static final class Escaped extends Exception {
        private static final long serialVersionUID = 1L;

        Escaped(String message, Throwable cause) {
            super(message, cause, false, true);
        }

        @Override
        public String toString() {
            return getMessage();
        }
    }

    private static boolean isClean(CharSequence value, int len) {
        for (int i = 0; i < len; i++) {
            final char c = value.charAt(i);
            if (c < 0x20 || c >= 0x7f || c == '\\') {
                return false;
            }
        }
        return true;
    }
}
