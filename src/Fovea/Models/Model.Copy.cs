using Fovea.Layers;

namespace Fovea.Models;

public partial class Model
{
    /// <summary>
    /// A new, unbuilt model with the same graph and the same layers (configurations and names), each layer rebuilt by
    /// its class's factory (<see cref="LayerRegistry.Copy"/>): what replicas are made of. Throws
    /// <see cref="NotSupportedException"/> for a layer class that is not registered.
    /// </summary>
    internal Model CopyArchitecture()
    {
        if (!IsFunctional) return new Sequential(Layers.Select(LayerRegistry.Copy)) { Name = Name };
        var inputs = _inputs.Select(i => new Input(i.Shape, i.Name)).ToArray();
        var values = new SymbolicTensor[_inputs.Count + _nodes.Count];
        inputs.CopyTo(values, 0);
        foreach (var node in _nodes)
            values[node.Output] = LayerRegistry.Copy(node.Layer).Call(node.Inputs.Select(v => values[v]).ToArray());
        return new Model(inputs, values[_nodes[^1].Output], Name);
    }

    /// <summary>
    /// Calls a copy of each of this model's layers (rebuilt by <see cref="LayerRegistry.Copy"/>, renamed by
    /// <paramref name="rename"/> from its running-order index and original name) on <paramref name="x"/>, which takes
    /// the place of the model's single input: this model's graph inside another. Returns the copied graph's output and
    /// an action that copies this model's weights into the copies once the new model is built.
    /// </summary>
    internal (SymbolicTensor Output, Action CopyWeights) CallCopy(SymbolicTensor x, Func<int, string, string> rename)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (_inputs.Count != 1) throw new ArgumentException($"a model called on one tensor takes one input; {Name} has {_inputs.Count}");
        if (InputShape != x.Shape) throw new ArgumentException($"{Name} takes {InputShape}; it was given {x.Shape}");
        Build();
        var nodes = _nodes;
        var values = new SymbolicTensor[1 + nodes.Count];
        values[0] = x;
        var copies = new Layer[nodes.Count];
        for (int j = 0; j < nodes.Count; j++)
        {
            var copy = LayerRegistry.Copy(nodes[j].Layer);
            copy.Name = rename(j, nodes[j].Layer.Name!);
            copies[j] = copy;
            values[nodes[j].Output] = copy.Call(nodes[j].Inputs.Select(v => values[v]).ToArray());
        }
        void CopyWeights()
        {
            for (int j = 0; j < nodes.Count; j++)
            {
                var (from, to) = (nodes[j].Layer.Weights, copies[j].Weights);
                for (int k = 0; k < from.Count; k++) from[k].Current.CopyTo(to[k].Value);
            }
        }
        return (values[nodes[^1].Output], CopyWeights);
    }
}
