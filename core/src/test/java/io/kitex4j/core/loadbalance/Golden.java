package io.kitex4j.core.loadbalance;

import io.kitex4j.core.discovery.Instance;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the golden files under {@code src/test/resources/lb/}, produced by running Kitex v0.16.1's
 * own {@code pkg/loadbalance} in Go (see each file's header).
 */
final class Golden {
    private Golden() {}

    /** Non-comment lines of a golden file. */
    static List<String> lines(String name) {
        try (InputStream in = Golden.class.getResourceAsStream("/lb/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource lb/" + name);
            }
            List<String> out = new ArrayList<>();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n", -1)) {
                if (!line.isEmpty() && !line.startsWith("#")) {
                    out.add(line);
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One recorded pick sequence: weights by name A, B, C..., the rotation Go used and its picks. */
    record Sequence(String kind, String name, int[] weights, int rotation, List<String> picks) {

        /** Instances named A, B, C... with the weights, in input order (weights &le; 0 included). */
        List<Instance> instances() {
            List<Instance> out = new ArrayList<>();
            for (int i = 0; i < weights.length; i++) {
                out.add(Instance.of(String.valueOf((char) ('A' + i)), weights[i]));
            }
            return out;
        }

        /** The instances Kitex keeps: weight &gt; 0, in input order. */
        Instance[] kept() {
            return instances().stream().filter(i -> i.weight() > 0).toArray(Instance[]::new);
        }

        @Override
        public String toString() {
            return kind + " " + name + " " + Arrays.toString(weights) + " rotation=" + rotation;
        }
    }

    /** Parses lines {@code <kind> <name> A:3,B:1 rotation=<r> picks=A,B,...}. */
    static List<Sequence> sequences(String file) {
        List<Sequence> out = new ArrayList<>();
        for (String line : lines(file)) {
            String[] f = line.split(" ");
            out.add(new Sequence(f[0], f[1], weights(f[2]), Integer.parseInt(value(f[3], "rotation=")),
                    List.of(value(f[4], "picks=").split(","))));
        }
        return out;
    }

    /** Parses {@code A:3,B:1} into {@code [3, 1]}. */
    static int[] weights(String spec) {
        String[] parts = spec.split(",");
        int[] w = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            w[i] = Integer.parseInt(parts[i].substring(parts[i].indexOf(':') + 1));
        }
        return w;
    }

    static String value(String field, String prefix) {
        if (!field.startsWith(prefix)) {
            throw new IllegalArgumentException(field + " does not start with " + prefix);
        }
        return field.substring(prefix.length());
    }

    static List<Instance> named(int... weights) {
        List<Instance> out = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            out.add(Instance.of(String.valueOf((char) ('A' + i)), weights[i]));
        }
        return out;
    }

    static List<String> addresses(Picker picker, int picks) {
        List<String> out = new ArrayList<>(picks);
        for (int i = 0; i < picks; i++) {
            out.add(picker.pick().address());
        }
        return out;
    }
}
