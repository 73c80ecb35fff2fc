package io.kitex4j.cli;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.registry.Instance;
import io.kitex4j.registry.InstanceCodec;
import io.kitex4j.registry.InvalidInstanceException;
import io.kitex4j.registry.KeyLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kitex4j ls}: what is registered, exactly as stored. */
@Command(name = "ls", description = "List registered instances (of one service, or of every service under the prefix).")
final class LsCommand implements Callable<Integer> {

    @Mixin
    EtcdOptions etcd;

    @Option(names = "--json", description = "One JSON object per line.")
    boolean json;

    @Parameters(arity = "0..1", paramLabel = "SERVICE", description = "Service name; all services when omitted.")
    String service;

    @Override
    public Integer call() throws Exception {
        final EtcdClientConfig config = etcd.toConfig();
        final KeyLayout layout = etcd.layout();
        final String prefix;
        try {
            prefix = service == null ? layout.rootPrefix() : layout.servicePrefix(service);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        try (Client client = config.newClient()) {
            final GetResponse response = Etcd.await(config, client.getKVClient().get(
                    bytes(prefix), GetOption.builder().isPrefix(true).build()));
            for (KeyValue kv : response.getKvs()) {
                final String key = kv.getKey().toString(StandardCharsets.UTF_8);
                final KeyLayout.ServiceKey parsed = layout.parseKey(key);
                if (parsed == null) {
                    continue;
                }
                final Instance instance;
                try {
                    instance = InstanceCodec.decode(kv.getValue().getBytes());
                } catch (InvalidInstanceException e) {
                    System.err.println("kitex4j: skipping " + key + ": " + e.getMessage());
                    continue;
                }
                System.out.println(json ? InstanceLines.json(parsed.service(), instance, null)
                        : InstanceLines.text(parsed.service(), instance));
            }
        }
        return 0;
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }
}
