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
}
