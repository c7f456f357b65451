namespace Fovea.Data;

/// <summary>
/// Where each of the five data batches lands in the one training array: batch k starts right after batches 0..k-1,
/// and a train limit cuts off the tail. Knowing this before reading lets records go straight to their final place.
/// </summary>
internal sealed class Cifar10TrainLayout
{
    private readonly int[] _counts;
    private readonly long[] _offsets;

    /// <param name="source">The folder or archive, for the message when the images would not fit one array.</param>
    /// <param name="counts">Images in each of the five data batches, in order.</param>
    /// <param name="trainLimit">Keep only the first N training images; null keeps them all.</param>
    public Cifar10TrainLayout(IReadOnlyList<int> counts, int? trainLimit, string source)
    {
        if (counts.Count != Cifar10Format.DataBatchNames.Length)
            throw new ArgumentException($"counts must have {Cifar10Format.DataBatchNames.Length} entries; got {counts.Count}", nameof(counts));
        _counts = [.. counts];
        _offsets = new long[_counts.Length];
        long total = 0;
        for (int k = 0; k < _counts.Length; k++)
        {
            _offsets[k] = total;
            total += _counts[k];
        }
        long images = Math.Min(total, trainLimit ?? long.MaxValue);
        if (images * Cifar10Format.ImageSize > Array.MaxLength)
            throw new InvalidDataFileException(
                $"{source}: CIFAR-10 training batches hold {total} images ({images * Cifar10Format.ImageSize} bytes), more than one array can hold; pass a train limit");
        Images = (int)images;
    }

    /// <summary>
    /// The official layout as a guess: five batches of <paramref name="perBatch"/> images each; null when that many
    /// would not fit one array (the guess may be wrong, so that is no reason to fail yet).
    /// </summary>
    public static Cifar10TrainLayout? TryUniform(int perBatch, int? trainLimit, string source)
    {
        int batches = Cifar10Format.DataBatchNames.Length;
        long images = Math.Min((long)batches * perBatch, trainLimit ?? long.MaxValue);
        return images * Cifar10Format.ImageSize <= Array.MaxLength ? new(Enumerable.Repeat(perBatch, batches).ToArray(), trainLimit, source) : null;
    }

    /// <summary>Training images kept: all of them, or the first trainLimit.</summary>
    public int Images { get; }

    public int Count(int batch) => _counts[batch];

    /// <summary>Index in the training set of batch <paramref name="batch"/>'s first image; only meaningful when <see cref="Take"/> is positive.</summary>
    public int Offset(int batch) => (int)Math.Min(_offsets[batch], Images);

    /// <summary>How many leading records of the batch are kept (0 when the limit falls before it).</summary>
    public int Take(int batch) => (int)Math.Clamp(Images - _offsets[batch], 0, _counts[batch]);

    public (byte[] Pixels, int[] Labels) Allocate() =>
        // Uninitialised: every byte is overwritten by a record before the arrays are returned, and a header that
        // promises data the archive lacks then costs address space, not RAM.
        (GC.AllocateUninitializedArray<byte>(Images * Cifar10Format.ImageSize), new int[Images]);
}
