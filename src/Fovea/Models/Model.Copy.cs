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
}
