// SPDX-License-Identifier: MIT
/*
 * Java row of tern's benchmark (`make bench`): the exercise's LazyTransform
 * on AtomicReference, as in the exercise's Java version, with the same workload
 * as the C harness (bench/lazy) and driven by it over stdin/stdout (protocol
 * in bench/rust/src/main.rs):
 *
 *   run lazy java <consumers> <payload> <seconds>
 *   -> result <cpu_ns> <wall_ns> <ops> <prod_ns> <prod_iters> <transforms> <hits> <xform_ns> <xreads>
 *
 * cpu_ns is each consumer's ThreadMXBean.getCurrentThreadCpuTime() around
 * its read loop, summed; wall_ns its System.nanoTime() interval, summed;
 * xform_ns the part of cpu_ns spent on the transform path and xreads the
 * reads that ran it, as in bench/common/bench.h (the window opens first
 * thing in transform() and closes when getTransformed returns the value in
 * the read that ran it, plus one clock read's cost); prod_ns the median time
 * of one setSource call.
 */
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

public final class TernBench {
    static final int WORK_ITERS = 10_000;
    static final int BATCH = 64;

    /** The exercise's container: volatile references, GC reclamation. */
    static final class LazyTransform<S, T> {
        private final Function<S, T> transformFn;
        private final AtomicReference<S> source = new AtomicReference<>();
        private final AtomicReference<T> value = new AtomicReference<>();
        private final AtomicBoolean transformLock = new AtomicBoolean();
        long transforms; // under transformLock

        LazyTransform(Function<S, T> transformFn) {
            this.transformFn = transformFn;
        }

        void setSource(S s) {
            source.set(s);
        }

        private void tryTransform() {
            if (!transformLock.get() && transformLock.compareAndSet(false, true)) {
                try {
                    S s = source.getAndSet(null);
                    if (s != null) {
                        T v = transformFn.apply(s);
                        if (v != null) {
                            value.set(v);
                            transforms++;
                        }
                    }
                } finally {
                    transformLock.set(false);
                }
            }
        }

        T getTransformed() {
            if (source.get() != null) {
                tryTransform();
                T v = value.get();
                xformEnd(); // the harness's: closes the transform window, if this read opened one
                return v;
            }
            return value.get();
        }
    }

    /** Simulated work: 10,000 dependent floating-point multiplications. */
    static double work(byte[] blob) {
        double x = 1.0 + (blob[0] + blob[1] + blob[2]) * 1e-3;
        for (int i = 0; i < WORK_ITERS; i++)
            x *= 1.0000001;
        return x;
    }

    static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    /** A consumer or the producer, with its counts; xformT0 is the CPU time
     *  at the open transform window's start (0: none). */
    static final class Worker extends Thread {
        long cpuNs, wallNs, ops, hits, prodNs, prodIters, xformNs, xreads, xformT0, clockCost;

        Worker(Runnable r) {
            super(r);
        }
    }

    /** Closes the window a transform in this read opened: the CPU time since
     *  it opened, plus one clock read's cost, is the transform path's.  Called
     *  by getTransformed on its slow path, so the read loop itself is the
     *  exercise's; the read's own check of the value (a few ns) stays outside. */
    static void xformEnd() {
        if (Thread.currentThread() instanceof Worker w && w.xformT0 != 0) {
            w.xformNs += MX.getCurrentThreadCpuTime() - w.xformT0 + w.clockCost;
            w.xreads++;
            w.xformT0 = 0;
        }
    }

    /** Opens the transform window (bench/common/bench.h), then transforms. */
    static String transform(byte[] blob) {
        if (Thread.currentThread() instanceof Worker w && w.xformT0 == 0)
            w.xformT0 = MX.getCurrentThreadCpuTime();
        double x = work(blob);
        return String.format(Locale.ROOT, "%c%c%c-%.6f", (char) blob[0], (char) blob[1], (char) blob[2], x);
    }

    /** strcmp(s, "longer") < 0, written out as in the C and Rust harnesses. */
    static boolean ltLonger(String s) {
        final String ref = "longer";
        for (int i = 0;; i++) {
            int ca = i < s.length() ? s.charAt(i) : 0;
            int cb = i < ref.length() ? ref.charAt(i) : 0;
            if (ca != cb || ca == 0)
                return ca < cb;
        }
    }

    static volatile boolean stop;
    static volatile double sink;

    static void consume(LazyTransform<byte[], String> lt, Worker c) {
        long k0 = MX.getCurrentThreadCpuTime(), k1 = k0;
        for (int i = 0; i < 64; i++)
            k1 = MX.getCurrentThreadCpuTime();
        c.clockCost = (k1 - k0) / 64;
        c.xformT0 = 0;
        long c0 = MX.getCurrentThreadCpuTime(), w0 = System.nanoTime();
        long ops = 0, hits = 0;
        do {
            for (int i = 0; i < BATCH; i++) {
                String v = lt.getTransformed();
                if (v != null && ltLonger(v))
                    hits++;
            }
            ops += BATCH;
        } while (!stop);
        c.cpuNs = MX.getCurrentThreadCpuTime() - c0;
        c.wallNs = System.nanoTime() - w0;
        c.ops = ops;
        c.hits = hits;
    }

    static final int PROD_SAMPLES = 65_536;

    /** Sets prodNs to the median time of one setSource call (a mean would be
     *  dominated by the calls during which the producer was preempted). */
    static void produce(LazyTransform<byte[], String> lt, Worker c) {
        long rng = 0x9e3779b97f4a7c15L;
        long[] samples = new long[PROD_SAMPLES];
        double s = 0;
        while (!stop) {
            rng ^= rng << 13;
            rng ^= rng >>> 7;
            rng ^= rng << 17;
            byte[] blob = {
                (byte) ('A' + Long.remainderUnsigned(rng, 10)),
                (byte) ('A' + Long.remainderUnsigned(rng >>> 8, 10)),
                (byte) ('A' + Long.remainderUnsigned(rng >>> 16, 10)),
            };
            long t0 = System.nanoTime();
            lt.setSource(blob);
            long dt = System.nanoTime() - t0;
            if (c.prodIters < PROD_SAMPLES)
                samples[(int) c.prodIters] = dt;
            c.prodIters++;
            s += work(blob);
        }
        int n = (int) Math.min(c.prodIters, PROD_SAMPLES);
        java.util.Arrays.sort(samples, 0, n);
        c.prodNs = n == 0 ? 0 : n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
        sink = s;
    }

    static String runLazy(int consumers, double seconds) throws Exception {
        LazyTransform<byte[], String> lt = new LazyTransform<>(TernBench::transform);
        stop = false;
        CyclicBarrier barrier = new CyclicBarrier(consumers + 2);
        Worker[] threads = new Worker[consumers + 1];
        for (int i = 0; i <= consumers; i++) {
            boolean producer = i == consumers;
            threads[i] = new Worker(() -> {
                Worker c = (Worker) Thread.currentThread();
                try {
                    barrier.await();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
                if (producer)
                    produce(lt, c);
                else
                    consume(lt, c);
            });
            threads[i].start();
        }
        barrier.await();
        Thread.sleep((long) (seconds * 1000), (int) ((seconds * 1e9) % 1_000_000));
        stop = true;
        long cpu = 0, wall = 0, ops = 0, hits = 0, xform = 0, xreads = 0;
        for (int i = 0; i <= consumers; i++) {
            Worker c = threads[i];
            c.join();
            if (i < consumers) {
                cpu += c.cpuNs;
                wall += c.wallNs;
                ops += c.ops;
                hits += c.hits;
                xform += c.xformNs;
                xreads += c.xreads;
            }
        }
        Worker p = threads[consumers];
        return "result " + cpu + " " + wall + " " + ops + " " + p.prodNs + " " + p.prodIters + " "
                + lt.transforms + " " + hits + " " + xform + " " + xreads;
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!mx.isCurrentThreadCpuTimeSupported()) {
            out.println("error thread CPU time is not supported by this JVM");
            return;
        }
        mx.setThreadCpuTimeEnabled(true);
        out.println("ready java " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.version"));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null) {
            String[] f = line.trim().split("\\s+");
            if (f[0].equals("quit"))
                break;
            if (f.length == 6 && f[0].equals("run") && f[1].equals("lazy") && f[2].equals("java")) {
                int consumers = Integer.parseInt(f[3]);
                double seconds = Double.parseDouble(f[5]);
                out.println(runLazy(consumers, seconds));
            } else {
                out.println("error unknown command: " + line);
            }
        }
    }
}
