using Onnx;

namespace Fovea.Onnx;

/// <summary>
/// An ONNX graph checked for what import relies on: every value produced once and defined before it is used, the
/// nodes in an order where each runs after its inputs (a cycle is refused), one real input and one output, and the
/// consumers of each value known (so that a Conv followed by its only Relu becomes one layer).
/// </summary>
internal sealed class ImportGraph
{
    /// <summary>At most this many nodes: far above any image classifier, far below what would exhaust memory.</summary>
    public const int MaxNodes = 100_000;

    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);

    public ImportGraph(GraphProto graph, string source)
    {
        Source = source;
        if (graph.Node.Count > MaxNodes) throw new InvalidDataFileException($"{source}: {graph.Node.Count} nodes; at most {MaxNodes} are read");
        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (var init in graph.Initializer)
        {
            if (string.IsNullOrEmpty(init.Name) || !defined.Add(init.Name))
                throw new InvalidDataFileException($"{source}: initializer {OnnxText.Quote(init.Name)} is unnamed or named twice");
            Initializers[init.Name] = init;
        }
        var inputs = graph.Input.Where(i => !Initializers.ContainsKey(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new InvalidDataFileException($"{source}: the graph has {inputs.Count} inputs besides its initializers; the importer takes exactly one");
        Input = inputs[0];
        if (string.IsNullOrEmpty(Input.Name)) throw new InvalidDataFileException($"{source}: the graph's input has no name");
        defined.Add(Input.Name);
        if (graph.Output.Count != 1)
            throw new InvalidDataFileException($"{source}: the graph has {graph.Output.Count} outputs; the importer takes exactly one");
        Output = graph.Output[0].Name;

        foreach (var node in graph.Node)
        {
            foreach (string output in node.Output.Where(o => o.Length > 0))
                if (!defined.Add(output))
                    throw new InvalidDataFileException($"{source}: value {OnnxText.Quote(output)} is produced twice (by node {OnnxText.Quote(node.Name)})");
            foreach (string input in node.Input.Where(i => i.Length > 0))
            {
                if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = [];
                if (!list.Contains(node)) list.Add(node);
            }
        }
        foreach (var node in graph.Node)
            foreach (string input in node.Input.Where(i => i.Length > 0))
                if (!defined.Contains(input))
                    throw new InvalidDataFileException($"{source}: node {OnnxText.Quote(node.Name)} ({OnnxText.Quote(node.OpType)}) reads {OnnxText.Quote(input)}, which nothing defines");
        if (!defined.Contains(Output) || Output == Input.Name || Initializers.ContainsKey(Output))
            throw new InvalidDataFileException($"{source}: the graph's output {OnnxText.Quote(Output)} is not computed by any node");
        Nodes = Sorted(graph.Node);
    }

    public string Source { get; }
    public ValueInfoProto Input { get; }
    public string Output { get; }
    public Dictionary<string, TensorProto> Initializers { get; } = new(StringComparer.Ordinal);

    /// <summary>The nodes, each after the producers of its inputs.</summary>
    public IReadOnlyList<NodeProto> Nodes { get; }

    /// <summary>The nodes that read <paramref name="value"/> (each once).</summary>
    public IReadOnlyList<NodeProto> Consumers(string value) => _consumers.TryGetValue(value, out var list) ? list : [];

    /// <summary>The single node reading <paramref name="value"/>, if exactly one does and the value is not the graph's output.</summary>
    public NodeProto? SoleConsumer(string value) => value != Output && Consumers(value) is [var only] ? only : null;

    /// <summary>Kahn's algorithm, stable: the file's order where it is already topological; what is left over is a cycle.</summary>
    private List<NodeProto> Sorted(IList<NodeProto> nodes)
    {
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; i++)
            foreach (string o in nodes[i].Output.Where(o => o.Length > 0)) producer[o] = i;
        var pending = new int[nodes.Count];
        var dependents = new List<int>[nodes.Count];
        for (int i = 0; i < nodes.Count; i++)
        {
            dependents[i] = [];
        }
        for (int i = 0; i < nodes.Count; i++)
            foreach (int p in nodes[i].Input.Where(v => v.Length > 0 && producer.ContainsKey(v)).Select(v => producer[v]).Distinct())
            {
                pending[i]++;
                dependents[p].Add(i);
            }
        var ready = new PriorityQueue<int, int>();
        for (int i = 0; i < nodes.Count; i++) if (pending[i] == 0) ready.Enqueue(i, i);
        var order = new List<NodeProto>(nodes.Count);
        while (ready.TryDequeue(out int i, out _))
        {
            order.Add(nodes[i]);
            foreach (int d in dependents[i])
                if (--pending[d] == 0) ready.Enqueue(d, d);
        }
        if (order.Count != nodes.Count)
        {
            var stuck = nodes.Where((_, i) => pending[i] > 0).Take(3).Select(n => OnnxText.Quote(n.Name));
            throw new InvalidDataFileException($"{Source}: the graph has a cycle (through nodes {string.Join(", ", stuck)})");
        }
        return order;
    }
}
