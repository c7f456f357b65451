using System.Globalization;
using System.Runtime.InteropServices;

namespace Fovea.Kernels;

/// <summary>What a speed figure was measured on: the processor's name, family and model as the OS reports them.</summary>
public static class CpuDescription
{
    /// <summary>For example "AMD EPYC 9B45 (family 26, model 2)"; the architecture alone where the OS says nothing more.</summary>
    public static string Name { get; } = Read();

    private static string Read()
    {
        const string CpuInfo = "/proc/cpuinfo";
        try
        {
            if (File.Exists(CpuInfo))
            {
                string? name = null, family = null, model = null;
                foreach (string line in File.ReadLines(CpuInfo))
                {
                    int colon = line.IndexOf(':', StringComparison.Ordinal);
                    if (colon < 0) { if (name is not null) break; continue; }
                    string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
                    if (key == "model name") name ??= value;
                    else if (key == "cpu family") family ??= value;
                    else if (key == "model") model ??= value;
                }
                if (name is not null)
                    return family is null ? name : string.Create(CultureInfo.InvariantCulture, $"{name} (family {family}, model {model})");
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
