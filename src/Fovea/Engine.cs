namespace Fovea;

/// <summary>Process-wide engine settings, like <c>torch.set_num_threads</c>.</summary>
public static class Engine
{
    private static int _threads = Environment.ProcessorCount;

    /// <summary>
    /// Worker threads the kernels split work over. Results are bit-identical for the same seed and thread count:
    /// work is split in fixed parts, never by whichever thread is free first.
    /// </summary>
    public static int Threads
    {
        get => _threads;
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), $"threads must be at least 1; got {value}");
            _threads = value;
        }
    }

    /// <summary>
    /// Where 3×3 stride-1 convolutions with 64 or more input channels run by Winograd (1.5–1.7× faster on 64–256
    /// channels): F(2×2, 3×3), and for inference F(4×4, 3×3) where <see cref="Kernels.Convolution.PrefersWinogradF4"/>
    /// says so. Default <see cref="WinogradUse.Inference"/>: its rounding differs from im2col's by a few
    /// ulps, and in training that moves a run onto another trajectory, so training keeps im2col until Winograd's
    /// accuracy over several seeds is known. The environment variable FOVEA_WINOGRAD (never, inference, always, alwaysf4
    /// or alwaysf4forward) sets it for a whole process, e.g. a benchmark or a training run.
    /// </summary>
    public static WinogradUse Winograd { get; set; } =
        Enum.TryParse<WinogradUse>(Environment.GetEnvironmentVariable(WinogradVariable), ignoreCase: true, out var use) && Enum.IsDefined(use)
            ? use : WinogradUse.Inference;

    /// <summary>The environment variable that sets <see cref="Winograd"/> for a process.</summary>
    public const string WinogradVariable = "FOVEA_WINOGRAD";

    private static KernelOptions _kernelOptions = KernelOptions.Default;

    /// <summary>
    /// The kernels' tuning (blocking, parallel thresholds, which convolution paths run), set as a whole:
    /// <c>Engine.KernelOptions = Engine.KernelOptions with { Mc = 240 }</c>. Defaults measured on this project's
    /// machine (<see cref="KernelOptions.Default"/>); a setting is read at the start of each kernel call.
    /// </summary>
    public static KernelOptions KernelOptions
    {
        get => _kernelOptions;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            _kernelOptions = value;
        }
    }

    private static long? _maxMemory;
    private static bool _maxMemoryRead;

    /// <summary>
    /// The memory budget of a training run, in bytes, or null for none: a run whose plan for even one picture
    /// exceeds it is refused before it starts. Defaults to the container's memory limit
    /// (<see cref="ProcessMemory.ContainerLimitBytes()"/>); <c>fovea train --max-memory</c> sets it.
    /// </summary>
    public static long? MaxMemory
    {
        get
        {
            if (!_maxMemoryRead) (_maxMemory, _maxMemoryRead) = (ProcessMemory.ContainerLimitBytes(), true);
            return _maxMemory;
        }
        set
        {
            if (value is <= 0) throw new ArgumentOutOfRangeException(nameof(value), $"the memory budget must be positive; got {value}");
            (_maxMemory, _maxMemoryRead) = (value, true);
        }
    }
}
