using System.Numerics.Tensors;

namespace Fovea.Data;

/// <summary>Samples the model can gather into a float batch: 8-bit images scaled to [0, 1], or a float tensor as is.</summary>
internal abstract class DataSource
{
    public abstract int Count { get; }
    public abstract Shape SampleShape { get; }

    /// <summary>destination[j] ← sample indices[j], for each j; destination is [indices.Length, sample size].</summary>
    public abstract void Gather(Span<float> destination, ReadOnlySpan<int> indices);

    public static DataSource From(ImageSet images) => new ImageSource(images);
    public static DataSource From(Tensor tensor) => new TensorSource(tensor);

    private sealed class ImageSource(ImageSet images) : DataSource
    {
        public override int Count => images.Count;
        public override Shape SampleShape => images.ImageShape;

        public override void Gather(Span<float> destination, ReadOnlySpan<int> indices)
        {
            int size = images.ImageSize;
            for (int j = 0; j < indices.Length; j++)
            {
                var dst = destination.Slice(j * size, size);
                TensorPrimitives.ConvertChecked<byte, float>(images[indices[j]], dst);
                // Keras's tutorial feeds x / 255.
                TensorPrimitives.Multiply(dst, 1f / 255f, dst);
            }
            // A memory-mapped set is unmapped once unreachable; the spans above point into it.
            GC.KeepAlive(images);
        }
    }

    private sealed class TensorSource(Tensor tensor) : DataSource
    {
        public override int Count => tensor.Shape[0];
        public override Shape SampleShape => tensor.Shape.DropFirst();

        public override void Gather(Span<float> destination, ReadOnlySpan<int> indices)
        {
            int size = (int)SampleShape.Size;
            for (int j = 0; j < indices.Length; j++)
                tensor.Data.AsSpan(indices[j] * size, size).CopyTo(destination.Slice(j * size, size));
        }
    }
}
