using DuckEmbed.Onnx.Graph.Proto;

namespace DuckEmbed.Onnx.Graph;

/// <summary>For matching patterns in a graph: who makes and who reads each tensor, and the values of small constants.</summary>
internal sealed class GraphIndex(GraphProto graph)
{
    private readonly Dictionary<string, NodeProto> _producers = graph.Node.SelectMany(n => n.Output.Select(o => (Output: o, Node: n)))
        .ToDictionary(p => p.Output, p => p.Node, StringComparer.Ordinal);
    private readonly ILookup<string, NodeProto> _readers = graph.Node.SelectMany(n => n.Input.Select(i => (Input: i, Node: n)))
        .ToLookup(p => p.Input, p => p.Node, StringComparer.Ordinal);
    private readonly Dictionary<string, TensorProto> _initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);

    /// <summary>The ONNX-domain node that makes <paramref name="tensor"/>, if it is one of <paramref name="opTypes"/>.</summary>
    public NodeProto? Producer(string tensor, params string[] opTypes) =>
        _producers.TryGetValue(tensor, out var node) && opTypes.Contains(node.OpType) && IsOnnx(node) ? node : null;

    /// <summary>An ONNX-domain node of <paramref name="opType"/> that reads <paramref name="tensor"/> (others may read it too).</summary>
    public NodeProto? Reader(string tensor, string opType) => _readers[tensor].FirstOrDefault(n => n.OpType == opType && IsOnnx(n));

    /// <summary>The value of an initializer or of a <c>Constant</c> node's output.</summary>
    public TensorProto? Constant(string name) => _initializers.GetValueOrDefault(name)
        ?? (_producers.TryGetValue(name, out var node) && node.OpType == "Constant"
            ? node.Attribute.FirstOrDefault(a => a.Name == "value")?.T
            : null);

    /// <summary>The single value of a one-element int64 (<typeparamref name="T"/> long) or float constant.</summary>
    public T? Scalar<T>(string name) where T : unmanaged =>
        Constant(name) is { } tensor && Values<T>(tensor) is [var value] ? value : null;

    /// <summary>The values of an int64 (<typeparamref name="T"/> long) or float tensor; null for another type.</summary>
    public static T[]? Values<T>(TensorProto tensor) where T : unmanaged => typeof(T) == typeof(long)
        ? tensor.DataType == (int)TensorProto.Types.DataType.Int64 ? (T[])(object)TensorValues.ReadInt64s(tensor) : null
        : tensor.DataType == (int)TensorProto.Types.DataType.Float ? (T[])(object)TensorValues.ReadFloats(tensor) : null;

    /// <summary>
    /// The axes of an <c>Unsqueeze</c> or <c>ReduceMean</c>: its attribute (older opsets) or its constant second input.
    /// </summary>
    public long[]? Axes(NodeProto node) => node.Input.Count == 2
        ? Constant(node.Input[1]) is { } axes ? Values<long>(axes) : null
        : node.Attribute.FirstOrDefault(a => a.Name == "axes")?.Ints.ToArray();

    /// <summary>Drops the nodes and initializers nothing reads any more, after a rewrite made some unread.</summary>
    public static void RemoveUnread(GraphProto graph)
    {
        var graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        while (true)
        {
            var read = graph.Node.SelectMany(n => n.Input).Concat(graphOutputs).ToHashSet(StringComparer.Ordinal);
            var unread = graph.Node.Where(n => n.Output.All(o => !read.Contains(o))).ToList();
            if (unread.Count == 0)
            {
                // An initializer older exports also list as a graph input stays: without it the input would become required.
                var inputs = graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
                var unreadConstants = graph.Initializer.Where(t => !read.Contains(t.Name) && !inputs.Contains(t.Name)).ToList();
                foreach (var tensor in unreadConstants)
                {
                    graph.Initializer.Remove(tensor);
                }
                return;
            }
            foreach (var node in unread)
            {
                graph.Node.Remove(node);
            }
        }
    }

    /// <summary>Whether <paramref name="node"/> is a standard ONNX operator (not a contrib or custom one).</summary>
    public static bool IsOnnx(NodeProto node) => node.Domain is "" or "ai.onnx";
}
