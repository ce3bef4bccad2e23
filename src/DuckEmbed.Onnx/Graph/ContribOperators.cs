using DuckEmbed.Onnx.Graph.Proto;

namespace DuckEmbed.Onnx.Graph;

/// <summary>ONNX Runtime's own operators (<c>com.microsoft</c>), which a graph may use once it imports their domain.</summary>
internal static class ContribOperators
{
    public const string Domain = "com.microsoft";

    /// <summary>Declares the domain in <paramref name="model"/>'s opset imports, if it is not there yet.</summary>
    public static void Import(ModelProto model)
    {
        if (!model.OpsetImport.Any(o => o.Domain == Domain))
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = Domain, Version = 1 });
        }
    }
}
