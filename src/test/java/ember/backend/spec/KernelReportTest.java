package ember.backend.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The report's arithmetic: rates from a spec's counts and a time, fractions of the run's own peaks. */
class KernelReportTest {
    private static final OpSpec GEMM_64 = OpSpecs.gemm(false, false, 64, 64, 64, 1f, 0f);
    private static final OpSpec GEMM_1024 = OpSpecs.gemmPeaks().get(0), GEMM_2048 = OpSpecs.gemmPeaks().get(1);
    private static final OpSpec COPY = OpSpecs.copyPeaks().get(0);

    private static KernelReport withPeaks() {
        KernelReport report = new KernelReport();
        report.add("cpu", GEMM_1024, 0.02); // 2·1024³ / 0.02 s = 107.37 GFLOP/s
        report.add("cpu", GEMM_2048, 0.2); // 2·2048³ / 0.2 s = 85.90: not the peak
        report.add("cpu", COPY, 0.04); // 2·256 MiB / 0.04 s = 13.42 GB/s
        return report;
    }

    @Test
    void ratesComeFromTheSpecsCounts() {
        KernelReport.Timing t = new KernelReport.Timing("cpu", GEMM_64, 1e-5);
        assertEquals(52.4288, t.gflops(), 1e-9); // 2·64³ = 524,288 FLOPs in 10 µs
        assertEquals(4.9152, t.gigabytesPerSecond(), 1e-9); // 3·64²·4 = 49,152 bytes
        assertThrows(IllegalArgumentException.class, () -> new KernelReport.Timing("cpu", GEMM_64, 0));
    }

    @Test
    void peaksAreTheFastestOfTheRunsPeakSpecsOnTheSameDevice() {
        KernelReport report = withPeaks();
        report.add("opencl", GEMM_1024, 1.0);
        report.add("opencl", COPY, 0.02); // 26.84 GB/s: faster than the cpu backend's copy
        KernelReport.Peaks alone = report.peaks("opencl");
        assertEquals(2.147483648, alone.gflops(), 1e-9);
        assertEquals("opencl", alone.gemmBackend());

        report.device("cpu", "host");
        report.device("opencl", "host");
        KernelReport.Peaks host = report.peaks("opencl");
        assertEquals(2.0 * (1 << 30) / 0.02 / 1e9, host.gflops(), 1e-9);
        assertEquals("cpu", host.gemmBackend());
        assertEquals(2.0 * (256 << 20) / 0.02 / 1e9, host.gigabytesPerSecond(), 1e-9);
        assertEquals("opencl", host.copyBackend());
        assertEquals(host, report.peaks("cpu"));

        KernelReport.Peaks untimed = report.peaks("cuda");
        assertTrue(Double.isNaN(untimed.gflops()) && Double.isNaN(untimed.gigabytesPerSecond()));
        assertNull(untimed.gemmBackend());
    }

    @Test
    void tableGivesEachOpsFractionOfPeaksAndTheNotes() {
        KernelReport report = withPeaks();
        report.add("cpu", GEMM_64, 1e-5);
        report.note("cuda", "absent: no libcuda.so.1");
        String table = report.markdown();
        // 52.43 / 107.37 GFLOP/s = 48.8 %; 4.915 / 13.42 GB/s = 36.6 %
        assertTrue(table.contains("| cpu | gemm | 64x64x64 | 10.0 µs | 52.4 | 48.8 % | 4.92 | 36.6 % |"), table);
        assertTrue(table.contains("| cpu | copy | 256 MiB | 40.0 ms | – | – | 13.4 | 100 % |"), table);
        assertTrue(table.contains("| cuda | absent: no libcuda.so.1 |"), table);
        assertTrue(report.peaksSummary().contains("cpu peaks: GEMM 107 GFLOP/s (cpu), copy 13.4 GB/s (cpu)"),
                report.peaksSummary());
    }

    @Test
    void durationsAndPercentagesKeepThreeDigits() {
        assertEquals("812 µs", KernelReport.duration(812e-6));
        assertEquals("12.3 ms", KernelReport.duration(0.01234));
        assertEquals("1.20 s", KernelReport.duration(1.2));
        assertEquals("0.410 %", KernelReport.percent(0.0041));
        assertEquals("–", KernelReport.percent(Double.NaN));
    }
}
