using Fovea.Layers;

namespace Fovea.Models;

/// <summary>
/// One call of a layer in a model's graph: which values it reads and which it writes. Values are numbered: the
/// model's inputs first (0 … inputs−1), then each node's output in topological order.
/// </summary>
internal sealed record Node(Layer Layer, int[] Inputs, int Output);
