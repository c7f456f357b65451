using System.Text.Json;
using System.Text.Json.Nodes;
using Fovea.IO;
using Fovea.Kernels;

namespace Fovea.Data.Augmentation;

/// <summary>
/// A list of augmentation ops run in order on each image of a gathered float batch [B, H, W, C], in place.
/// What each image becomes depends on (seed, epoch, sample index) alone: a per-image stream is restarted from them
/// with <see cref="Rng.Reset"/>, so a resumed run, any batch composition and any thread count give the same pixels.
/// Images are shared out over <see cref="WorkerPool.Shared"/>; after the first batch of a given shape, applying
/// allocates nothing. Like a model, a pipeline is used by one training loop at a time (it owns scratch buffers).
/// </summary>
public sealed class AugmentationPipeline : IBatchAugmentation
{
    /// <summary>The purpose of the per-image stream: <c>Rng.For(seed, "augment", epoch · 2³² + sample index)</c>.</summary>
    internal const string Purpose = "augment";

    private readonly AugmentationOp[] _ops;
    private readonly Work _work;

    /// <summary>A pipeline that runs <paramref name="ops"/> in the given order (Keras's <c>Sequential</c> of preprocessing layers).</summary>
    public AugmentationPipeline(params IEnumerable<AugmentationOp> ops)
    {
        ArgumentNullException.ThrowIfNull(ops);
        _ops = ops.ToArray();
        for (int i = 0; i < _ops.Length; i++)
            if (_ops[i] is null) throw new ArgumentException($"ops[{i}] is null", nameof(ops));
        _work = new Work(_ops);
    }

    /// <summary>The ops, in the order they run.</summary>
    public IReadOnlyList<AugmentationOp> Ops => _ops;

    /// <summary>
    /// Augments the first <c>sampleIndices.Length</c> images of <paramref name="batch"/> in place. Image j is sample
    /// <c>sampleIndices[j]</c> of the dataset; <paramref name="epoch"/> is numbered from 1, as <c>Fit</c> numbers epochs.
    /// </summary>
    public void Apply(float[] batch /* [B, H, W, C] */, ReadOnlySpan<int> sampleIndices /* [B] */,
                      int height, int width, int channels, int epoch, long seed)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (height <= 0 || width <= 0 || channels <= 0)
            throw new ArgumentException($"image dimensions must be positive; got {height}x{width}x{channels}");
        if (epoch < 1) throw new ArgumentOutOfRangeException(nameof(epoch), $"epoch must be at least 1 (epochs are numbered from 1, as Fit numbers them); got {epoch}");
        long imageSize = (long)height * width * channels;
        if (batch.LongLength < sampleIndices.Length * imageSize)
            throw new ArgumentException($"batch must hold {sampleIndices.Length} images of {height}x{width}x{channels} ({sampleIndices.Length * imageSize} values); got {batch.LongLength}", nameof(batch));
        foreach (int index in sampleIndices)
            if (index < 0) throw new ArgumentOutOfRangeException(nameof(sampleIndices), $"sample indices must be non-negative; got {index}");
        foreach (var op in _ops) op.Validate(height, width, channels);
        if (_ops.Length == 0 || sampleIndices.Length == 0) return;

        _work.Run(batch, sampleIndices, height, width, channels, epoch, seed);
    }

    void IBatchAugmentation.Apply(float[] batch, ReadOnlySpan<int> indices, Shape sampleShape, int epoch, long seed)
    {
        if (sampleShape.Rank != 3) throw new ArgumentException($"augmentation needs image samples (height, width, channels); got {sampleShape}", nameof(sampleShape));
        Apply(batch, indices, sampleShape[0], sampleShape[1], sampleShape[2], epoch, seed);
    }

    /// <summary>One line for a run report: <c>RandomTranslate(pad=2, reflect) → AlternatingFlip(horizontal)</c>.</summary>
    public string Describe() => _ops.Length == 0 ? "none" : string.Join(" → ", _ops.Select(op => op.Describe()));

    /// <inheritdoc/>
    public override string ToString() => Describe();

    /// <summary>The configuration as JSON, for a checkpoint or a model file: <c>{"ops":[{"type":"random_translate","pad":2}, …]}</c>.</summary>
    public string ToJson()
    {
        var ops = new JsonArray();
        foreach (var op in _ops)
        {
            var config = new JsonObject { ["type"] = op.TypeName };
            op.WriteConfig(config);
            ops.Add(config);
        }
        return new JsonObject { ["ops"] = ops }.ToJsonString();
    }

    /// <summary>Rebuilds a pipeline from <see cref="ToJson"/>'s output; every setting goes through the op's constructor again.</summary>
    /// <exception cref="FoveaException">The JSON is malformed, names an unknown op or setting, or a setting is out of range.</exception>
    public static AugmentationPipeline FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode? root;
        try
        {
            root = MetadataJson.Parse(json);
        }
        catch (JsonException ex)
        {
            throw Bad($"not valid JSON: {MetadataJson.Reason(ex)}");
        }
        if (root is not JsonObject obj || obj.Count != 1 || obj["ops"] is not JsonArray array)
            throw Bad("expected an object with one key, \"ops\", holding a list");
        var ops = new List<AugmentationOp>();
        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject config || config["type"] is not JsonValue type || type.GetValueKind() != JsonValueKind.String)
                throw Bad($"ops[{i}] must be an object with a string \"type\"");
            try
            {
                ops.Add(Create(type.GetValue<string>(), new Settings(config, i)));
            }
            catch (ArgumentException ex)
            {
                throw Bad($"ops[{i}]: {SafeTensorsText.OneLine(ex.Message)}");
            }
        }
        return new AugmentationPipeline(ops);
    }

    private static AugmentationOp Create(string type, Settings s)
    {
        AugmentationOp op = type switch
        {
            "random_translate" => new RandomTranslate(s.Int("pad")),
            "random_flip" => new RandomFlip(s.Double("probability")),
            "alternating_flip" => new AlternatingFlip(),
            "random_crop" => new RandomCrop(s.Int("height"), s.Int("width"), s.Int("padding")),
            "cutout" => new Cutout(s.Int("size")),
            "random_resized_crop" => new RandomResizedCrop(s.Double("min_scale"), s.Double("max_scale"), s.Double("min_ratio"), s.Double("max_ratio")),
            _ => throw Bad($"ops[{s.Position}]: unknown op type {SafeTensorsText.Quote(type)}"),
        };
        s.RejectUnread(type);
        return op;
    }

    private static FoveaException Bad(string reason) => new($"augmentation config: {reason}");

    /// <summary>An op's settings, each required and read once; a key no op reads is an error, not silently ignored.</summary>
    private sealed class Settings(JsonObject config, int position)
    {
        private readonly HashSet<string> _read = ["type"];

        public int Position => position;

        public int Int(string key) => Read(key, v => v.TryGetValue(out int i) ? i
            : v.TryGetValue(out double d) && d == Math.Floor(d) && d >= int.MinValue && d <= int.MaxValue ? (int)d : (int?)null, "an integer");

        public double Double(string key) => Read(key, v => v.TryGetValue(out double d) ? d : (double?)null, "a number");

        private T Read<T>(string key, Func<JsonValue, T?> parse, string what) where T : struct
        {
            _read.Add(key);
            if (config[key] is not JsonValue value || value.GetValueKind() != JsonValueKind.Number || parse(value) is not T result)
                throw Bad($"ops[{position}] needs \"{key}\" as {what}; got {config[key]?.ToJsonString() ?? "nothing"}");
            return result;
        }

        public void RejectUnread(string type)
        {
            foreach (var (key, _) in config)
                if (!_read.Contains(key))
                    throw Bad($"ops[{position}] ({type}) has no setting {SafeTensorsText.Quote(key)}");
        }
    }

    /// <summary>
    /// Runs the ops over the batch in a fixed number of parts, each over a contiguous range of images with its own scratch
    /// image and generators. Each image's result depends only on its own stream, so how images are split into parts,
    /// and which thread runs which part, cannot change a pixel.
    /// </summary>
    private sealed class Work(AugmentationOp[] ops) : IParallelWork
    {
        private float[] _batch = [];
        private int[] _indices = [];
        private float[] _scratch = [];
        private Rng[] _rngs = [];
        private Rng[] _scratchRngs = [];
        private int _count, _parts, _height, _width, _channels, _epoch;
        private long _seed;

        public void Run(float[] batch, ReadOnlySpan<int> indices, int height, int width, int channels, int epoch, long seed)
        {
            int imageSize = height * width * channels;
            var pool = WorkerPool.Shared;
            // A few parts per thread balance the load; more would only cost scratch.
            int parts = Math.Min(indices.Length, 4 * pool.Threads);
            if (_indices.Length < indices.Length) _indices = new int[indices.Length];
            if (_scratch.Length < (long)parts * imageSize) _scratch = new float[parts * imageSize];
            if (_rngs.Length < parts)
            {
                _rngs = [.. _rngs, .. Enumerable.Range(0, parts - _rngs.Length).Select(_ => new Rng(0))];
                _scratchRngs = [.. _scratchRngs, .. Enumerable.Range(0, parts - _scratchRngs.Length).Select(_ => new Rng(0))];
            }
            indices.CopyTo(_indices);
            (_batch, _count, _parts, _height, _width, _channels, _epoch, _seed) = (batch, indices.Length, parts, height, width, channels, epoch, seed);
            try
            {
                pool.Run(this, parts);
            }
            finally
            {
                _batch = [];
            }
        }

        public void Execute(int part)
        {
            int imageSize = _height * _width * _channels;
            int start = (int)((long)_count * part / _parts), end = (int)((long)_count * (part + 1) / _parts);
            var scratch = _scratch.AsSpan(part * imageSize, imageSize);
            Rng rng = _rngs[part], scratchRng = _scratchRngs[part];
            for (int j = start; j < end; j++)
            {
                int index = _indices[j];
                rng.Reset(_seed, Purpose, (long)_epoch << 32 | (uint)index);
                var sample = new AugmentationSample(rng, scratchRng, _seed, _epoch, index);
                var image = _batch.AsSpan(j * imageSize, imageSize);
                for (int k = 0; k < ops.Length; k++)
                    ops[k].Apply(image, scratch, _height, _width, _channels, sample);
            }
        }
    }
}
