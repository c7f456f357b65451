using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Fovea.Tests.Fuzzing;

/// <summary>
/// Feeds a reader thousands of malformed inputs derived from valid samples and checks that each one ends in a valid
/// result or a clean rejection (a <see cref="FoveaException"/> with a one-line message) within a time and memory
/// bound. Anything else (another exception type, a slow case, an allocation the input does not justify, a hang)
/// fails the run with the seed and case index needed to replay it.
/// </summary>
/// <example>
/// <code>
/// var report = FuzzHarness.Run(seed: 1, cases: 10_000, validSample,
///     bytes => MyReader.Read(new MemoryStream(bytes), "fuzz.bin"),
///     new FuzzOptions { Name = "my-reader", Log = output.WriteLine });
/// </code>
/// Replay one case: <c>FuzzHarness.GenerateCase(seed, caseIndex, samples, options)</c> returns its exact input.
/// Every case has its own seed derived from (run seed, index), so a case replays without running those before it.
/// Override with FOVEA_FUZZ_SEED / FOVEA_FUZZ_CASES (see <see cref="SeedFromEnvironment"/>) to explore further locally.
/// </example>
/// <remarks>
/// Cases run on one dedicated thread so allocations can be counted per case with
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/>; the calling thread watches for hangs. A hung case cannot be
/// stopped (.NET cannot abort threads): the run fails and the background thread is abandoned. A stack overflow
/// kills the test process; set FOVEA_FUZZ_TRACE=1 to print each case's index to stderr before it runs.
/// </remarks>
public static class FuzzHarness
{
    public static FuzzReport Run(int seed, int cases, byte[] validSample, Func<byte[], object?> target, FuzzOptions? options = null) =>
        Run(seed, cases, [validSample], target, options);

    /// <param name="validSamples">Inputs the target must accept; mutated and spliced together to make cases. Keep them small.</param>
    /// <exception cref="FuzzFailureException">A sample was rejected, or any case was mishandled.</exception>
    public static FuzzReport Run(int seed, int cases, IReadOnlyList<byte[]> validSamples, Func<byte[], object?> target, FuzzOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(validSamples);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentOutOfRangeException.ThrowIfNegative(cases);
        if (validSamples.Count == 0) throw new ArgumentException("validSamples must hold at least one sample; got none", nameof(validSamples));
        options ??= new FuzzOptions();

        // Samples first: a harness whose seeds are all rejected explores nothing. This also warms up the JIT, so
        // compilation is not charged to the first case's time.
        for (int i = 0; i < validSamples.Count; i++)
        {
            try
            {
                target(validSamples[i]);
            }
            catch (Exception e)
            {
                throw new FuzzFailureException($"fuzz '{options.Name}': valid sample {i} ({validSamples[i].Length} bytes) is rejected: {e}", new FuzzReport { Name = options.Name, Seed = seed });
            }
        }

        var report = new FuzzReport { Name = options.Name, Seed = seed };
        var progress = new Progress();
        Exception? crash = null;
        var worker = new Thread(() =>
        {
            try
            {
                RunCases(seed, cases, validSamples, target, options, report, progress);
            }
            catch (Exception e)
            {
                crash = e; // a bug in the harness or a generator, not in the target
            }
        })
        { IsBackground = true, Name = $"fuzz {options.Name}" };

        var total = Stopwatch.StartNew();
        worker.Start();
        while (!worker.Join(TimeSpan.FromMilliseconds(100)))
        {
            long started = Volatile.Read(ref progress.CaseStartTimestamp);
            if (started != 0 && Stopwatch.GetElapsedTime(started) > options.HangTimeout)
            {
                int index = Volatile.Read(ref progress.CaseIndex);
                var input = GenerateCase(seed, index, validSamples, options);
                string saved = Save(options.Name, seed, index, input);
                throw new FuzzFailureException(
                    $"fuzz '{options.Name}': case {index} (seed {seed}) still running after {options.HangTimeout.TotalSeconds:F0} s, a hang; input saved to {saved}", report);
            }
        }
        report.Elapsed = total.Elapsed;
        if (crash is not null) throw new InvalidOperationException($"fuzz '{options.Name}': the harness itself failed", crash);

        options.Log?.Invoke(report.ToString());
        if (report.FailureCount > 0)
        {
            var failures = report.Failures.Select(f => f with { SavedTo = Save(options.Name, seed, f.CaseIndex, GenerateCase(seed, f.CaseIndex, validSamples, options)) }).ToList();
            report.Failures.Clear();
            report.Failures.AddRange(failures);
            var message = new StringBuilder();
            message.AppendLine(CultureInfo.InvariantCulture, $"fuzz '{options.Name}': {report.FailureCount} of {report.Cases} cases mishandled (seed {seed}); replay one with FuzzHarness.GenerateCase(seed, caseIndex, ...)");
            foreach (var f in report.Failures) message.AppendLine(f.ToString());
            options.Log?.Invoke(message.ToString());
            throw new FuzzFailureException(message.ToString(), report);
        }
        return report;
    }

    /// <summary>The exact input of case <paramref name="caseIndex"/> of a run with <paramref name="seed"/>.</summary>
    public static byte[] GenerateCase(int seed, int caseIndex, IReadOnlyList<byte[]> validSamples, FuzzOptions? options = null) =>
        (options ?? new FuzzOptions()).Generate(new Mutator(CaseSeed(seed, caseIndex)), validSamples);

    /// <summary>The seed of one case: SplitMix64 of (run seed, index), so neighbouring cases are unrelated.</summary>
    public static int CaseSeed(int seed, int caseIndex)
    {
        ulong z = unchecked(((ulong)(uint)seed << 32 | (uint)caseIndex) + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return unchecked((int)(z ^ (z >> 31)));
    }

    /// <summary>FOVEA_FUZZ_SEED if set, else <paramref name="defaultSeed"/>. CI keeps the default so runs are reproducible.</summary>
    public static int SeedFromEnvironment(int defaultSeed) =>
        int.TryParse(Environment.GetEnvironmentVariable("FOVEA_FUZZ_SEED"), CultureInfo.InvariantCulture, out int s) ? s : defaultSeed;

    /// <summary>FOVEA_FUZZ_CASES if set (and larger), else <paramref name="defaultCases"/>: never fewer than CI runs.</summary>
    public static int CasesFromEnvironment(int defaultCases) =>
        int.TryParse(Environment.GetEnvironmentVariable("FOVEA_FUZZ_CASES"), CultureInfo.InvariantCulture, out int n) && n > defaultCases ? n : defaultCases;

    /// <summary>Written by the worker, read by the watchdog.</summary>
    private sealed class Progress
    {
        public int CaseIndex;
        public long CaseStartTimestamp;
    }

    private static void RunCases(int seed, int cases, IReadOnlyList<byte[]> samples, Func<byte[], object?> target,
        FuzzOptions options, FuzzReport report, Progress progress)
    {
        bool trace = Environment.GetEnvironmentVariable("FOVEA_FUZZ_TRACE") == "1";
        for (int i = 0; i < cases; i++)
        {
            int caseSeed = CaseSeed(seed, i);
            var mutator = new Mutator(caseSeed);
            byte[] input = options.Generate(mutator, samples);
            if (trace) Console.Error.WriteLine($"fuzz '{options.Name}': seed {seed} case {i}");

            Volatile.Write(ref progress.CaseIndex, i);
            Volatile.Write(ref progress.CaseStartTimestamp, Stopwatch.GetTimestamp());
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            Exception? thrown = null;
            try
            {
                target(input);
            }
            catch (Exception e)
            {
                thrown = e;
            }
            TimeSpan duration = Stopwatch.GetElapsedTime(start);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            Volatile.Write(ref progress.CaseStartTimestamp, 0);

            report.Cases++;
            report.TotalInputBytes += input.Length;
            if (duration > report.SlowestCase) (report.SlowestCase, report.SlowestCaseIndex) = (duration, i);
            if (allocated > report.MostAllocated)
                (report.MostAllocated, report.MostAllocatedCaseIndex, report.MostAllocatedInputLength) = (allocated, i, input.Length);

            var problems = new List<string>();
            if (thrown is null)
            {
                report.Valid++;
            }
            else if (options.IsCleanRejection(thrown))
            {
                report.Rejected++;
                string category = options.Categorize(thrown);
                report.RejectionsByCategory[category] = report.RejectionsByCategory.GetValueOrDefault(category) + 1;
                if (options.CheckMessage(thrown.Message) is { } badMessage) problems.Add($"{badMessage}: \"{thrown.Message}\"");
            }
            else
            {
                problems.Add($"threw {thrown.GetType().Name}, not a clean rejection");
            }
            long budget = options.AllocationBudget(input.Length);
            if (allocated > budget)
                problems.Add($"allocated {allocated:N0} bytes for a {input.Length:N0}-byte input (budget {budget:N0})");
            if (duration > options.MaxCaseDuration)
                problems.Add($"took {duration.TotalMilliseconds:F0} ms (limit {options.MaxCaseDuration.TotalMilliseconds:F0} ms)");

            if (problems.Count > 0)
            {
                report.FailureCount++;
                if (report.Failures.Count < options.MaxFailuresReported)
                    report.Failures.Add(new FuzzFailure(i, caseSeed, input.Length, string.Join("; ", problems), thrown is null || options.IsCleanRejection(thrown) ? null : thrown, [.. mutator.Applied]));
            }
        }
    }

    /// <summary>Writes a failing input where a developer can pick it up: the temp folder, named by target, seed and case.</summary>
    private static string Save(string name, int seed, int caseIndex, byte[] input)
    {
        string folder = Path.Combine(Path.GetTempPath(), "fovea-fuzz");
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, $"{name}-seed{seed}-case{caseIndex}.bin");
        File.WriteAllBytes(path, input);
        return path;
    }
}
