using System.Numerics.Tensors;
using Fovea.Layers;

namespace Fovea.Models;

/// <summary>
/// What <see cref="Model.GradientOfScore"/> measured on a batch of images: a layer's output, the gradient of one class
/// score with respect to it, the model's output and the class whose score was differentiated, per image.
/// </summary>
/// <param name="Activations">The layer's output [N, layer's output shape], as the model computed it in inference.</param>
/// <param name="Gradients">d(score)/d(layer's output), same shape as <paramref name="Activations"/>.</param>
/// <param name="Outputs">The model's output [N, classes] (probabilities when it ends with a softmax).</param>
/// <param name="Classes">Per image, the class whose score was differentiated.</param>
/// <param name="ScoreIsLogit">True when the score is the logit feeding the model's final softmax.</param>
public sealed record ScoreGradient(Tensor Activations, Tensor Gradients, Tensor Outputs, int[] Classes, bool ScoreIsLogit);

/// <summary>Gradients of one output score with respect to an inner value, for explanations of a prediction.</summary>
public partial class Model
{
    /// <summary>
    /// The gradient of class <paramref name="classIndex"/>'s score (default: each image's predicted class) with respect
    /// to the output of layer <paramref name="layerName"/>, for each image of <paramref name="x"/> [N, input shape].
    /// The forward pass has inference semantics (BatchNorm's moving statistics, no dropout) and the engine's own
    /// backward runs from a one-hot gradient at the score down to that layer. When the model ends with a softmax the
    /// score is its input, the logit, as Grad-CAM takes it. Weights, state and the gradient block are as before.
    /// </summary>
    public ScoreGradient GradientOfScore(Tensor x, string layerName, int? classIndex = null, int batchSize = 16)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(layerName);
        Build();
        CheckSingleInput();
        if (x.Shape.Rank < 1 || x.Shape.DropFirst() != InputShape)
            throw new ArgumentException($"x must hold samples of the model's input shape {InputShape}; got {x.Shape}", nameof(x));
        if (classIndex is { } c && (uint)c >= (uint)Classes)
            throw new ArgumentOutOfRangeException(nameof(classIndex), $"classIndex must be in [0, {Classes}); got {c}");
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), $"batchSize must be positive; got {batchSize}");
        int node = NodeOfLayer(layerName);
        if (node == _nodes.Count - 1) throw new ArgumentException($"layer '{layerName}' is the model's output, not an inner layer", nameof(layerName));
        int value = _nodes[node].Output, count = x.Shape[0];
        var valueShape = _valueShapes[value];
        var result = new ScoreGradient(new Tensor(valueShape.WithBatch(count)), new Tensor(valueShape.WithBatch(count)),
            new Tensor(OutputShape.WithBatch(count)), new int[count], EndsWithSoftmax);
        if (count == 0) return result;
        int cap = PrepareBatches(batchSize, count);
        if (Plan.Buffers.Grads[OutputValue] is null)
            throw new InvalidOperationException("no gradient reaches the output: the model has no trainable weights");
        var savedGradients = (float[])_gradients.Clone();
        try
        {
            for (int start = 0; start < count; start += cap)
                ScoreGradientBatch(x, start, Math.Min(cap, count - start), node, classIndex, result);
        }
        finally
        {
            savedGradients.CopyTo(_gradients, 0);
        }
        return result;
    }

    private bool EndsWithSoftmax => _nodes[^1].Layer is Fovea.Layers.Softmax or Dense { Activation: Activation.Softmax };

    /// <summary>The node of the layer named <paramref name="layerName"/>, which must be called once in the graph.</summary>
    private int NodeOfLayer(string layerName)
    {
        int found = -1;
        for (int j = 0; j < _nodes.Count; j++)
        {
            if (_nodes[j].Layer.Name != layerName) continue;
            if (found >= 0) throw new ArgumentException($"layer '{layerName}' is called more than once in the graph", nameof(layerName));
            found = j;
        }
        return found >= 0 ? found : throw new ArgumentException($"the model has no layer '{layerName}'", nameof(layerName));
    }

    /// <summary>Forward, one-hot score gradient, backward down to <paramref name="node"/> for images [start, start + batch).</summary>
    private void ScoreGradientBatch(Tensor x, int start, int batch, int node, int? classIndex, ScoreGradient result)
    {
        int value = _nodes[node].Output, valueSize = (int)_valueShapes[value].Size, inSize = (int)InputShape.Size, classes = Classes;
        x.Data.AsSpan(start * inSize, batch * inSize).CopyTo(InputBuffer);
        var step = new StepContext(batch, training: false) { KeepsBackwardState = true };
        // The layer's output array may be reused by later layers of the forward pass: copy it as soon as it is written.
        var copier = new ValueCopier(node, Values[value], result.Activations.Data, start * valueSize, batch * valueSize);
        Plan.Forward(step, copier);
        OutputBuffer.AsSpan(0, batch * classes).CopyTo(result.Outputs.Data.AsSpan(start * classes));
        var seed = Plan.Buffers.Grads[OutputValue]!.AsSpan(0, batch * classes);
        seed.Clear();
        for (int i = 0; i < batch; i++)
        {
            int c = classIndex ?? TensorPrimitives.IndexOfMax(OutputBuffer.AsSpan(i * classes, classes));
            result.Classes[start + i] = c;
            seed[i * classes + c] = 1f;
        }
        Plan.BackwardDownTo(node, step, outputIsLogits: EndsWithSoftmax);
        var gradient = Plan.Buffers.Grads[value]
            ?? throw new InvalidOperationException($"no gradient reaches layer '{_nodes[node].Layer.Name}': nothing before it is trainable");
        gradient.AsSpan(0, batch * valueSize).CopyTo(result.Gradients.Data.AsSpan(start * valueSize));
    }

    /// <summary>Copies one node's output when the forward pass has written it.</summary>
    private sealed class ValueCopier(int node, float[] source, float[] target, int offset, int length) : IStepObserver
    {
        public void StepStarted() { }

        public void Sliced(int slices, int firstSliceImages) { }

        public void PartEnded(StepPart part, int n = -1)
        {
            if (part == StepPart.Forward && n == node) source.AsSpan(0, length).CopyTo(target.AsSpan(offset));
        }

        public void StepEnded(int batch) { }
    }
}
