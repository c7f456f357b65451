using Fovea.Layers;
using Fovea.Losses;
using Fovea.Optimizers;

namespace Fovea.Models;

/// <summary>
/// A model: a graph of layers from inputs to one output, Keras's <c>keras.Model</c>. Build it the functional way,
/// <c>new Model(inputs, outputs)</c> from an <see cref="Input"/> and layers called on it, or as a
/// <see cref="Sequential"/> stack; both share one training loop, one summary, one file format and checkpoints.
/// All weights live in one flat block (trainable first, then non-trainable state such as BatchNorm's moving
/// statistics) and all gradients in another; activations and their gradients live in arrays planned once per batch
/// size (<see cref="BufferPlan"/>), so a training step allocates nothing. Like a Keras model, an instance is not
/// thread-safe: give each thread its own model (Load it again).
/// </summary>
public partial class Model
{
    private readonly List<Input> _inputs = [];
    private readonly List<Node> _nodes = [];
    private readonly SymbolicTensor? _output;
    private Shape[] _valueShapes = [];
    private float[] _weights = [];
    private float[] _gradients = [];

    /// <summary>A functional model from one input to one output.</summary>
    public Model(Input inputs, SymbolicTensor outputs, string name = "functional") : this([inputs], outputs, name) { }

    /// <summary>A functional model from several inputs to one output.</summary>
    public Model(IReadOnlyList<Input> inputs, SymbolicTensor outputs, string name = "functional")
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (inputs.Count == 0) throw new ArgumentException("a model needs at least one input", nameof(inputs));
        if (inputs.Distinct().Count() != inputs.Count) throw new ArgumentException("each input may be given once", nameof(inputs));
        Name = name;
        _inputs.AddRange(inputs);
        _output = outputs;
        DefineNodes(outputs);
    }

    /// <summary>For <see cref="Sequential"/>, which defines its graph when it is built.</summary>
    private protected Model(string name) => Name = name;

    /// <summary>Model name shown by <see cref="Summary"/>.</summary>
    public string Name { get; init; }

    /// <summary>Seed of the weight initialisation, the shuffles and any per-step randomness. Same seed and thread count: same weights, bit for bit.</summary>
    public long Seed { get; set; }

    /// <summary>The layers in the order they run (topological order for a functional model).</summary>
    public virtual IReadOnlyList<Layer> Layers => _nodes.Select(n => n.Layer).ToList();

    /// <summary>The model's inputs (one for a Sequential).</summary>
    public IReadOnlyList<Input> Inputs => _inputs;
    /// <summary>Whether every layer is built, i.e. the input shapes are known and the weights exist.</summary>
    public bool IsBuilt { get; private set; }

    /// <summary>True for a model made of <see cref="Input"/> and layer calls rather than a <see cref="Sequential"/> stack.</summary>
    public bool IsFunctional => _output is not null;

    /// <summary>The per-sample shape of the (first) input.</summary>
    public Shape InputShape => _inputs.Count > 0 ? _inputs[0].Shape : default;
    /// <summary>The per-sample shape of the output.</summary>
    public Shape OutputShape => _nodes.Count > 0 ? _nodes[^1].Layer.OutputShape : default;
    /// <summary>The optimiser given to Compile, or null before it.</summary>
    public Optimizer? Optimizer { get; private set; }
    /// <summary>The loss given to Compile, or null before it.</summary>
    public Loss? Loss { get; private set; }

    /// <summary>Set by a callback to end <c>Fit</c> after the current step (Keras's <c>model.stop_training</c>).</summary>
    public bool StopTraining { get; set; }

    /// <summary>Total number of weights, trainable and not.</summary>
    public long ParameterCount => Layers.Sum(l => l.ParameterCount);
    /// <summary>Number of trainable weights.</summary>
    public long TrainableParameterCount => Layers.Sum(l => l.TrainableParameterCount);

    /// <summary>All weights in one block: the trainable ones layer by layer, then the non-trainable ones. Taking this span counts as a change of the weights (see <see cref="Parameter.Value"/>).</summary>
    public Span<float> Weights
    {
        get
        {
            Parameter.MarkChanged();
            return _weights;
        }
    }

    internal float[] WeightBlock
    {
        get
        {
            Parameter.MarkChanged();
            return _weights;
        }
    }
    internal float[] GradientBlock => _gradients;
    internal IReadOnlyList<Node> Nodes => _nodes;
    internal IReadOnlyList<Shape> ValueShapes => _valueShapes;

    /// <summary>Every weight of the model in block order.</summary>
    public IEnumerable<Parameter> AllWeights => Layers.SelectMany(l => l.TrainableWeights).Concat(Layers.SelectMany(l => l.NonTrainableWeights));

    /// <summary>Walks the graph back from the output and numbers its nodes in topological order.</summary>
    private void DefineNodes(SymbolicTensor output)
    {
        var ids = new Dictionary<SymbolicTensor, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < _inputs.Count; i++) ids[_inputs[i]] = i;
        var shapes = _inputs.Select(i => i.Shape).ToList();
        var visiting = new HashSet<SymbolicTensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(SymbolicTensor Tensor, bool Expanded)>();
        stack.Push((output, false));
        // Iterative depth-first post-order, inputs in call order: deep residual stacks must not overflow the stack.
        while (stack.Count > 0)
        {
            var (t, expanded) = stack.Pop();
            if (ids.ContainsKey(t)) continue;
            if (t.Producer is null)
                throw new ArgumentException($"the output depends on an input that is not among the model's inputs ({t})", nameof(output));
            if (!expanded)
            {
                if (!visiting.Add(t)) continue;
                stack.Push((t, true));
                for (int i = t.Inputs.Count - 1; i >= 0; i--) stack.Push((t.Inputs[i], false));
                continue;
            }
            int id = _inputs.Count + _nodes.Count;
            _nodes.Add(new Node(t.Producer, t.Inputs.Select(i => ids[i]).ToArray(), id));
            ids[t] = id;
            shapes.Add(t.Shape);
        }
        _valueShapes = shapes.ToArray();
    }

    /// <summary>For <see cref="Sequential"/>: the chain of its layers from one input.</summary>
    private protected void DefineChain(Shape inputShape, IReadOnlyList<Layer> layers)
    {
        _inputs.Clear();
        _nodes.Clear();
        _inputs.Add(new Input(inputShape));
        var shapes = new List<Shape> { inputShape };
        var shape = inputShape;
        for (int i = 0; i < layers.Count; i++)
        {
            shape = layers[i].ComputeOutputShape([shape]);
            _nodes.Add(new Node(layers[i], [i], i + 1));
            shapes.Add(shape);
        }
        _valueShapes = shapes.ToArray();
    }

    /// <summary>
    /// Creates all weights. A Sequential takes the per-sample input shape from its first layer's <c>inputShape</c>
    /// or from <paramref name="inputShape"/>; a functional model knows it from its inputs.
    /// Called for you by the first <see cref="Summary"/>, <see cref="Compile"/> or <c>Fit</c>.
    /// </summary>
    public void Build(Shape? inputShape = null)
    {
        if (IsBuilt) return;
        PrepareGraph(inputShape);
        AssignNames();
        var rng = Rng.For(Seed, "init");
        foreach (var node in _nodes)
            node.Layer.Build(node.Inputs.Select(v => _valueShapes[v]).ToArray(), rng);
        var weights = AllWeights.ToList();
        int total = checked((int)weights.Sum(p => (long)p.Length));
        int trainable = checked((int)weights.Where(p => p.Trainable).Sum(p => (long)p.Length));
        _weights = new float[total];
        _gradients = new float[trainable];
        int offset = 0;
        foreach (var p in weights)
        {
            p.Rebind(_weights, _gradients, offset);
            offset += p.Length;
        }
        IsBuilt = true;
    }

    /// <summary>Makes sure the graph is defined (a Sequential defines it from its layers) without building weights.</summary>
    private protected virtual void PrepareGraph(Shape? inputShape)
    {
        if (inputShape is { } s && s != InputShape)
            throw new ArgumentException($"inputShape must be the functional model's input shape {InputShape}; got {s}", nameof(inputShape));
    }

    /// <summary>Names the unnamed layers as Build does (idempotent): a model file's weights are checked by name before building.</summary>
    internal void AssignNames()
    {
        var layers = Layers;
        var used = new HashSet<string>(layers.Where(l => l.Name is not null).Select(l => l.Name!));
        if (used.Count != layers.Count(l => l.Name is not null))
            throw new ArgumentException("layer names must be unique within a model");
        var counters = new Dictionary<string, int>();
        foreach (var layer in layers.Where(l => l.Name is null))
        {
            // Keras numbers layers of a kind from 0: conv2d, conv2d_1, conv2d_2 …
            string name;
            do
            {
                int n = counters.GetValueOrDefault(layer.NameStem);
                counters[layer.NameStem] = n + 1;
                name = n == 0 ? layer.NameStem : $"{layer.NameStem}_{n}";
            } while (!used.Add(name));
            layer.Name = name;
        }
    }

    /// <summary>The graph before building, for a model file's checks: each layer with the shapes of its inputs.</summary>
    internal IEnumerable<(Layer Layer, Shape[] InputShapes, Shape Output)> PlanShapes(Shape? inputShape = null)
    {
        PrepareGraph(inputShape);
        AssignNames();
        foreach (var node in _nodes)
            yield return (node.Layer, node.Inputs.Select(v => _valueShapes[v]).ToArray(), _valueShapes[node.Output]);
    }
}
