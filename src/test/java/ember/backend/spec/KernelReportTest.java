package ember.backend.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The report's arithmetic: rates from a spec's counts and a time, fractions of the run's own peaks. */
class KernelReportTest {
    private static final OpSpec GEMM_64 = OpSpecs.gemm(false, false, 64, 64, 64, 1f, 0f);

    private static KernelReport withPeaks() {
        KernelReport report = new KernelReport();
        report.add("cpu", OpSpecs.gemmPeaks().get(0), 0.02); // 2·1024³ / 0.02 s = 107.37 GFLOP/s
        report.add("cpu", OpSpecs.gemmPeaks().get(1), 0.2); // 2·2048³ / 0.2 s = 85.90: not the peak
        report.add("cpu", OpSpecs.copyPeaks().get(0), 0.01); // 2·64 MiB / 0.01 s = 13.42 GB/s
        report.add("cpu", OpSpecs.copyPeaks().get(1), 0.05); // 2·256 MiB / 0.05 s = 10.74
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
    void peaksAreTheFastestOfTheRunsPeakSpecsOnThatBackend() {
        KernelReport report = withPeaks();
        report.add("opencl", OpSpecs.gemmPeaks().get(0), 1.0);
        KernelReport.Peaks cpu = report.peaks("cpu");
        assertEquals(2.0 * (1 << 30) / 0.02 / 1e9, cpu.gflops(), 1e-9);
        assertEquals(2.0 * (64 << 20) / 0.01 / 1e9, cpu.gigabytesPerSecond(), 1e-9);
        KernelReport.Peaks opencl = report.peaks("opencl");
        assertEquals(2.147483648, opencl.gflops(), 1e-9);
        assertTrue(Double.isNaN(opencl.gigabytesPerSecond()), "no copy timed on opencl");
    }

    @Test
    void tableGivesEachOpsFractionOfPeaksAndTheNotes() {
        KernelReport report = withPeaks();
        report.add("cpu", GEMM_64, 1e-5);
        report.note("cuda", "absent: no libcuda.so.1");
        String table = report.markdown();
        // 52.43 / 107.37 GFLOP/s = 48.8 %; 4.915 / 13.42 GB/s = 36.6 %
        assertTrue(table.contains("| cpu | gemm | 64x64x64 | 10.0 µs | 52.4 | 48.8 % | 4.92 | 36.6 % |"), table);
        assertTrue(table.contains("| cpu | copy | 64 MiB | 10.0 ms | – | – | 13.4 | 100 % |"), table);
        assertTrue(table.contains("| cuda | absent: no libcuda.so.1 |"), table);
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
