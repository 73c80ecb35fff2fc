package io.kitex4j.cli;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.kitex4j.registry.EtcdClientConfig;
import io.kitex4j.core.discovery.Instance;
import io.kitex4j.registry.KeyLayout;
import io.kitex4j.registry.RegistryEntry;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kitex4j ls}: what is registered, as a client reads it ({@link RegistryEntry#decode}, the
 * resolver's decoding: undecodable or undialable keys shown as skipped, on stderr or, with
 * {@code --json}, as {@code {"service":...,"key":...,"skipped":"<reason>"}}). The weight is the one
 * a Kitex client uses (a stored weight &le; 0 is used as 10), with the stored one beside it when
 * they differ: {@code weight=10 (stored 0)}, or {@code "weight":10,"storedWeight":0}. Tags that etcd
 * holds as {@code null} (or not at all) are {@code "tags":null}; {@code "tags":{}} is an empty object.
 */
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
                // The resolver's own decoding, so that ls shows what watch and every client see.
                final RegistryEntry entry = RegistryEntry.decode(key, kv.getValue().getBytes(), Instance.DEFAULT_WEIGHT);
                if (entry.isSkipped()) {
                    if (json) {
                        System.out.println(InstanceLines.skippedJson(parsed.service(), entry.toSkippedKey(), null));
                    } else {
                        System.err.println(InstanceLines.skippedText(entry.toSkippedKey()));
                    }
                    continue;
                }
                System.out.println(json ? InstanceLines.json(parsed.service(), entry)
                        : InstanceLines.text(parsed.service(), entry));
            }
        }
        return 0;
    }

    private static ByteSequence bytes(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }
}
