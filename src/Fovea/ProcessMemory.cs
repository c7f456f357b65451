using System.Diagnostics;
using System.Globalization;

namespace Fovea;

/// <summary>
/// The process's memory as the operating system sees it: the peak resident set of the run, the container's memory
/// limit (the default budget, <see cref="Engine.MaxMemory"/>), and sizes written as people write them (1.5G, 800M).
/// </summary>
public static class ProcessMemory
{
    /// <summary>
    /// The peak resident set of this process so far, in bytes: VmHWM of /proc/self/status on Linux (what
    /// <c>/usr/bin/time -v</c> reports as its maximum resident set size), the peak working set elsewhere.
    /// </summary>
    public static long PeakResidentBytes()
    {
        if (OperatingSystem.IsLinux() && ReadStatusKilobytes("/proc/self/status", "VmHWM:") is { } kb) return kb * 1024;
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    /// <summary>The memory limit of the container (cgroup v2 <c>memory.max</c>, else v1 <c>memory.limit_in_bytes</c>),
    /// or null when there is none (unlimited, or not Linux).</summary>
    public static long? ContainerLimitBytes() => ContainerLimitBytes("/sys/fs/cgroup");

    /// <summary><see cref="ContainerLimitBytes()"/> under <paramref name="cgroupRoot"/> (tests give a folder of their own).</summary>
    internal static long? ContainerLimitBytes(string cgroupRoot)
    {
        foreach (string file in new[] { "memory.max", "memory/memory.limit_in_bytes", "memory.limit_in_bytes" })
        {
            string path = Path.Combine(cgroupRoot, file);
            string text;
            try
            {
                if (!File.Exists(path)) continue;
                text = File.ReadAllText(path).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            // v2 says "max"; v1 says a number near 2^63 (rounded to pages) for no limit.
            if (text == "max") return null;
            if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long bytes))
                return bytes is > 0 and < long.MaxValue / 2 ? bytes : null;
        }
        return null;
    }

    /// <summary>
    /// A size as people write it: bytes, or a number with K, M, G or T (powers of 1024; an optional B or iB after it),
    /// e.g. <c>1.5G</c>, <c>800M</c>, <c>2GiB</c>. Returns false for anything else, or for zero or less.
    /// </summary>
    public static bool TryParseSize(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        string s = text.Trim().ToUpperInvariant();
        if (s.EndsWith("IB", StringComparison.Ordinal)) s = s[..^2];
        else if (s.EndsWith('B')) s = s[..^1];
        int power = s.Length == 0 ? -1 : "KMGT".IndexOf(s[^1]) + 1;
        if (power > 0) s = s[..^1];
        if (!double.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)) return false;
        double result = value * Math.Pow(1024, Math.Max(power, 0));
        if (!(result >= 1) || result > long.MaxValue / 2) return false;
        bytes = (long)result;
        return true;
    }

    /// <summary>A size in the units people read: <c>1.52 GB</c>, <c>812 MB</c>, <c>96 KB</c> (powers of 1024).</summary>
    public static string Format(long bytes)
    {
        const double k = 1024;
        return bytes switch
        {
            >= 1L << 30 => (bytes / (k * k * k)).ToString("0.00", CultureInfo.InvariantCulture) + " GB",
            >= 1L << 20 => (bytes / (k * k)).ToString(bytes < 10L << 20 ? "0.0" : "0", CultureInfo.InvariantCulture) + " MB",
            >= 1L << 10 => (bytes / k).ToString("0", CultureInfo.InvariantCulture) + " KB",
            _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        };
    }

    private static long? ReadStatusKilobytes(string path, string key)
    {
        try
        {
            foreach (string line in File.ReadLines(path))
            {
                if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
                string value = line[key.Length..].Trim();
                int space = value.IndexOf(' ');
                if (space > 0) value = value[..space];
                return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long kb) ? kb : null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }
}
