using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fovea.Kernels;

/// <summary>
/// What <c>fovea tune</c> measured as fastest on one CPU model (as FFTW's wisdom): the kernels' vector width (a
/// 512-bit unit that runs each instruction as two 256-bit halves may do as well at 256 bits) and the SGEMM's
/// blocking. Kept in <c>~/.fovea/tuning/CPU.json</c> and applied by each process before its first kernel runs
/// (<see cref="ApplyForThisMachine"/>); without a file, or with <see cref="DisableVariable"/>=off, the measured
/// defaults of <see cref="KernelOptions"/> and the widest path hold. A given file always gives the same choices, so
/// results stay bit for bit the same run after run on a machine; another width or k blocking changes their last bits.
/// </summary>
public sealed record KernelTuning
{
    /// <summary>The environment variable that turns the file off for a process: <c>FOVEA_TUNING=off</c>.</summary>
    public const string DisableVariable = "FOVEA_TUNING";

    /// <summary>The CPU the choices were measured on (<see cref="CpuDescription.Name"/>).</summary>
    public required string Cpu { get; init; }
    /// <summary>Worker threads during the measurement.</summary>
    public required int Threads { get; init; }
    /// <summary>The day of the measurement (yyyy-MM-dd).</summary>
    public required string Measured { get; init; }
    /// <summary>The kernels' vector path: avx512, avx2, vector128 or scalar.</summary>
    public required string VectorPath { get; init; }
    /// <summary>SGEMM rows per A block (<see cref="KernelOptions.Mc"/>).</summary>
    public required int Mc { get; init; }
    /// <summary>SGEMM depth done as one block (<see cref="KernelOptions.KcMax"/>).</summary>
    public required int KcMax { get; init; }
    /// <summary>SGEMM block depth when k is split (<see cref="KernelOptions.KcTarget"/>).</summary>
    public required int KcTarget { get; init; }

    /// <summary>The file of this machine's CPU model: <c>FoveaHome.Root/tuning/NAME.json</c>.</summary>
    public static string FileForThisMachine => FileFor(CpuDescription.Name);

    /// <summary>The file of a CPU named <paramref name="cpu"/>: its letters and digits, lower case, dashes between.</summary>
    public static string FileFor(string cpu)
    {
        var name = new StringBuilder();
        foreach (char c in cpu.ToLowerInvariant())
            if (char.IsAsciiLetterOrDigit(c)) name.Append(c);
            else if (name.Length > 0 && name[^1] != '-') name.Append('-');
        return Path.Combine(FoveaHome.Root, "tuning", name.ToString().Trim('-') + ".json");
    }

    /// <summary>The blocking as kernel options on top of <paramref name="options"/>.</summary>
    public KernelOptions ApplyTo(KernelOptions options) => options with { Mc = Mc, KcMax = KcMax, KcTarget = KcTarget };

    /// <summary>One line for a run's log: the path and blocking, and where they come from.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{VectorPath}, mc {Mc}, kc {KcMax}/{KcTarget} (measured {Measured} on {Threads} threads)");

    /// <summary>
    /// Reads this machine's file, if any, and applies it: the blocking to <see cref="Engine.KernelOptions"/>, the
    /// vector path through <see cref="CpuPath.Variable"/> (unless that is set already), so this must run before
    /// the first kernel does. Returns the line a run prints: what holds and why. A file that cannot be read or
    /// names another CPU is ignored, and the line says so.
    /// </summary>
    public static string ApplyForThisMachine()
    {
        if (string.Equals(Environment.GetEnvironmentVariable(DisableVariable), "off", StringComparison.OrdinalIgnoreCase))
            return $"tuning: defaults ({DisableVariable}=off)";
        string file;
        try { file = FileForThisMachine; }
        catch (FoveaException) { return "tuning: defaults (no home folder for ~/.fovea)"; }
        if (!File.Exists(file)) return "tuning: defaults (fovea tune measures this machine)";
        KernelTuning tuning;
        try { tuning = Load(file); }
        catch (FoveaException e) { return $"tuning: defaults ({e.Message})"; }
        if (tuning.Cpu != CpuDescription.Name) return $"tuning: defaults ({file} was measured on {tuning.Cpu})";
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(CpuPath.Variable)))
            Environment.SetEnvironmentVariable(CpuPath.Variable, tuning.VectorPath);
        Engine.KernelOptions = tuning.ApplyTo(Engine.KernelOptions);
        return $"tuning: {tuning.Describe()}, {file}";
    }

    /// <summary>Reads a tuning file.</summary>
    /// <exception cref="FoveaException">The file is unreadable, not JSON, or a value is missing or out of range.</exception>
    public static KernelTuning Load(string path)
    {
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new FoveaException($"{path} is not a JSON object");
            var tuning = new KernelTuning
            {
                Cpu = Text(o, "cpu"),
                Threads = Int(o, "threads", 1, 4096),
                Measured = Text(o, "measured"),
                VectorPath = Text(o, "vector_path"),
                Mc = Int(o, "mc", 8, 4096),
                KcMax = Int(o, "kc_max", 16, 8192),
                KcTarget = Int(o, "kc_target", 16, 8192),
            };
            if (CpuPath.Parse(tuning.VectorPath) is null) throw new FoveaException($"{path}: unknown vector_path '{tuning.VectorPath}'");
            if (tuning.KcTarget > tuning.KcMax) throw new FoveaException($"{path}: kc_target {tuning.KcTarget} is above kc_max {tuning.KcMax}");
            return tuning;

            static string Text(JsonObject o, string key) =>
                o[key] is JsonValue v && v.TryGetValue(out string? s) && !string.IsNullOrWhiteSpace(s) ? s : throw new FoveaException($"{key} missing or not text");
            int Int(JsonObject o, string key, int min, int max) =>
                o[key] is JsonValue v && v.TryGetValue(out int i) && i >= min && i <= max ? i
                : throw new FoveaException($"{path}: {key} missing or outside {min}–{max}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new FoveaException($"cannot read {path}: {e.Message}");
        }
    }

    /// <summary>Writes the file (through a temporary file, so a reader never sees half of it).</summary>
    public void Save(string path)
    {
        var o = new JsonObject
        {
            ["cpu"] = Cpu, ["threads"] = Threads, ["measured"] = Measured, ["vector_path"] = VectorPath,
            ["mc"] = Mc, ["kc_max"] = KcMax, ["kc_target"] = KcTarget,
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temp = path + ".tmp";
        File.WriteAllText(temp, o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(temp, path, overwrite: true);
    }
}
