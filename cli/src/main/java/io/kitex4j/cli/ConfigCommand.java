package io.kitex4j.cli;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.kitex4j.configetcd.ConfigEvent;
import io.kitex4j.configetcd.ConfigKind;
import io.kitex4j.configetcd.EtcdConfigWatcher;
import io.kitex4j.configetcd.InvalidConfigException;
import io.kitex4j.configetcd.KitexConfigParser;
import io.kitex4j.core.internal.log.LogValues;
import io.kitex4j.registry.EtcdClientConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kitex4j config get|put|watch}: the kitex-contrib/config-etcd keys of a client
 * ({@code <prefix>/<caller>/<callee>/{retry,rpc_timeout,circuit_break}}) or a server
 * ({@code <prefix>/<server>/limit}), read, written after validation with kitex4j's strict parser, or
 * watched as kitex4j's {@link EtcdConfigWatcher} applies them.
 */
@Command(name = "config", description = "Show, set or watch Kitex governance config in etcd (kitex-contrib/config-etcd keys).",
        subcommands = {ConfigCommand.Get.class, ConfigCommand.Put.class, ConfigCommand.Watch.class})
final class ConfigCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        throw new UsageException("config needs a subcommand: get, put or watch (see kitex4j config --help)");
    }

    /** Which keys: a client's (caller, callee) or a server's, optionally one category. */
    static final class KeyOptions {
        @Option(names = "--caller", paramLabel = "SVC", description = "The client's own service name (ClientServiceName).")
        String caller;

        @Option(names = "--callee", paramLabel = "SVC", description = "The service the client calls (ServerServiceName).")
        String callee;

        @Option(names = "--server", paramLabel = "SVC", description = "A server's service name (for the limit key).")
        String server;

        @Option(names = "--category", paramLabel = "C",
                description = "retry, rpc_timeout, circuit_break (client) or limit (server); default: all of that side.")
        String category;

        @Option(names = "--config-prefix", paramLabel = "P", defaultValue = EtcdConfigWatcher.DEFAULT_PREFIX,
                description = "config-etcd's key prefix (default: ${DEFAULT-VALUE}).")
        String prefix;

        @Option(names = "--client-path-format", paramLabel = "F", defaultValue = EtcdConfigWatcher.DEFAULT_CLIENT_PATH_FORMAT,
                description = "config-etcd's ClientPathFormat (default: ${DEFAULT-VALUE}).")
        String clientPath;

        @Option(names = "--server-path-format", paramLabel = "F", defaultValue = EtcdConfigWatcher.DEFAULT_SERVER_PATH_FORMAT,
                description = "config-etcd's ServerPathFormat (default: ${DEFAULT-VALUE}).")
        String serverPath;

        boolean isServer() {
            final boolean client = caller != null || callee != null;
            if (client == (server != null)) {
                throw new UsageException("give either --caller and --callee (client keys), or --server (the limit key)");
            }
            if (client && (caller == null || callee == null)) {
                throw new UsageException("--caller and --callee go together");
            }
            return !client;
        }

        List<ConfigKind> kinds(boolean required) {
            final boolean server = isServer();
            if (category == null) {
                if (required) {
                    throw new UsageException("--category is required (retry, rpc_timeout, circuit_break or limit)");
                }
                final List<ConfigKind> all = new ArrayList<>();
                for (ConfigKind k : ConfigKind.values()) {
                    if (k.isServer() == server) {
                        all.add(k);
                    }
                }
                return all;
            }
            final ConfigKind kind;
            try {
                kind = ConfigKind.ofCategory(category);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--category: '" + category + "' is not one of retry, rpc_timeout, circuit_break, limit");
            }
            if (kind.isServer() != server) {
                throw new UsageException("--category " + category + " is a " + (kind.isServer() ? "server" : "client")
                        + " category: use " + (kind.isServer() ? "--server" : "--caller and --callee"));
            }
            return List.of(kind);
        }

        EtcdConfigWatcher.Builder watcher() {
            return EtcdConfigWatcher.builder().prefix(prefix).clientPathFormat(clientPath).serverPathFormat(serverPath);
        }

        String key(EtcdConfigWatcher w, ConfigKind kind) {
            return kind.isServer() ? w.serverKey(server, kind) : w.clientKey(caller, callee, kind);
        }

        /** The keys, computed by a watcher over the client (nothing is read). */
        Map<ConfigKind, String> keys(Client client, List<ConfigKind> kinds) {
            final Map<ConfigKind, String> keys = new java.util.LinkedHashMap<>();
            final EtcdConfigWatcher w;
            try {
                w = watcher().client(client).build();
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            try (w) {
                for (ConfigKind k : kinds) {
                    keys.put(k, key(w, k));
                }
            }
            return keys;
        }
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    @Command(name = "get", description = "Print config-etcd keys and their values, and whether kitex4j accepts them.")
    static final class Get implements Callable<Integer> {
        @Mixin
        EtcdOptions etcd;

        @Mixin
        KeyOptions keys;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            final List<ConfigKind> kinds = keys.kinds(false);
            final EtcdClientConfig config = etcd.toConfig();
            int invalid = 0;
            try (Client client = config.newClient()) {
                for (Map.Entry<ConfigKind, String> e : keys.keys(client, kinds).entrySet()) {
                    final GetResponse r = Etcd.await(config, client.getKVClient().get(bytes(e.getValue())));
                    if (r.getKvs().isEmpty()) {
                        System.out.println(e.getValue() + " (absent: defaults)");
                        continue;
                    }
                    final KeyValue kv = r.getKvs().get(0);
                    final String value = kv.getValue().toString(StandardCharsets.UTF_8);
                    System.out.println(e.getValue() + " = " + value);
                    try {
                        KitexConfigParser.validate(e.getKey(), value);
                    } catch (InvalidConfigException bad) {
                        invalid++;
                        System.out.println("  rejected by kitex4j: " + LogValues.escape(bad.getMessage(), 300));
                    }
                }
            }
            if (invalid > 0) {
                throw new UsageException(invalid + " value(s) kitex4j rejects (the last good config stays in force)");
            }
            return 0;
        }
    }

    @Command(name = "put", description = "Validate a JSON value as kitex4j does, then write it (refused if invalid, unless --force).")
    static final class Put implements Callable<Integer> {
        @Mixin
        EtcdOptions etcd;

        @Mixin
        KeyOptions keys;

        @Spec
        CommandSpec spec;

        @Option(names = "--force", description = "Write the value even if kitex4j would reject it.")
        boolean force;

        @Parameters(paramLabel = "JSON", description = "The value, or - to read it from stdin.")
        String value;

        @Override
        public Integer call() throws Exception {
            final ConfigKind kind = keys.kinds(true).get(0);
            final String json = "-".equals(value) ? readStdin() : value;
            try {
                KitexConfigParser.validate(kind, json);
            } catch (InvalidConfigException e) {
                if (!force) {
                    throw new UsageException("refusing to put an invalid " + kind.category() + " value: "
                            + LogValues.escape(e.getMessage(), 300) + " (--force to put it anyway)");
                }
                spec.commandLine().getErr().println("kitex4j: warning: putting a value kitex4j rejects: " + LogValues.escape(e.getMessage(), 300));
            }
            if (kind == ConfigKind.CIRCUIT_BREAK && hasWildcard(json)) {
                spec.commandLine().getErr().println("kitex4j: note: \"*\" in circuit_break is not a wildcard in Kitex; list the methods");
            }
            final EtcdClientConfig config = etcd.toConfig();
            try (Client client = config.newClient()) {
                final String key = keys.keys(client, List.of(kind)).get(kind);
                Etcd.await(config, client.getKVClient().put(bytes(key), bytes(json)));
                System.out.println("put " + key);
            }
            return 0;
        }

        private static boolean hasWildcard(String json) {
            try {
                return KitexConfigParser.parseCircuitBreak(json).containsKey("*");
            } catch (InvalidConfigException e) {
                return false;
            }
        }

        private static String readStdin() {
            try {
                return new String(System.in.readAllBytes(), StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new UsageException("cannot read stdin: " + e.getMessage());
            }
        }
    }

    @Command(name = "watch", description = "Print each value as kitex4j applies, restores or rejects it, until interrupted.")
    static final class Watch implements Callable<Integer> {
        @Mixin
        EtcdOptions etcd;

        @Mixin
        KeyOptions keys;

        @Spec
        CommandSpec spec;

        @Option(names = "--count", paramLabel = "N", defaultValue = "0",
                description = "Exit after N events (default: ${DEFAULT-VALUE}, never).")
        int count;

        @Override
        public Integer call() throws Exception {
            final boolean server = keys.isServer();
            if (keys.category != null) {
                keys.kinds(false); // checks the category's side
            }
            final EtcdClientConfig config = etcd.toConfig();
            final CountDownLatch done = new CountDownLatch(count > 0 ? count : 1);
            final AtomicInteger seen = new AtomicInteger();
            final EtcdConfigWatcher watcher;
            try {
                watcher = keys.watcher().etcd(config).listener(e -> {
                    if (keys.category != null && !e.kind().category().equals(keys.category)) {
                        return;
                    }
                    System.out.println(line(e));
                    System.out.flush();
                    seen.incrementAndGet();
                    if (count > 0) {
                        done.countDown();
                    }
                }).build();
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            // The watcher's own WARN would repeat each rejection this command prints.
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(EtcdConfigWatcher.class))
                    .setLevel(ch.qos.logback.classic.Level.ERROR);
            try (watcher) {
                final List<String> watched = new ArrayList<>();
                if (server) {
                    watched.add(watcher.serverLimits(keys.server, limits -> { }).key());
                } else {
                    final var policies = watcher.clientPolicies(keys.caller, keys.callee);
                    for (ConfigKind k : keys.kinds(false)) {
                        watched.add(policies.key(k));
                    }
                }
                spec.commandLine().getErr().println("kitex4j: watching " + String.join(", ", watched));
                done.await();
            }
            return 0;
        }

        static String line(ConfigEvent e) {
            return switch (e.type()) {
                case APPLIED -> "applied " + e.key() + " = " + e.value();
                case RESTORED_DEFAULTS -> "deleted " + e.key() + " (defaults)";
                case REJECTED -> "rejected " + e.key() + ": " + LogValues.escape(e.error().getMessage(), 300)
                        + " (last good config kept)";
            };
        }
    }
}
