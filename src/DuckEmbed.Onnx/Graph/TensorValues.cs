using System.Runtime.InteropServices;
using DuckEmbed.Onnx.Graph.Proto;
using Google.Protobuf;

namespace DuckEmbed.Onnx.Graph;

/// <summary>Reads and makes the float tensors of an ONNX graph (little-endian <c>raw_data</c> or <c>float_data</c>).</summary>
internal static class TensorValues
{
    public static float[] ReadFloats(TensorProto tensor)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian.");
        }
        return tensor.RawData.IsEmpty ? [.. tensor.FloatData] : MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();
    }

    public static TensorProto FloatTensor(string name, float[] values, long[] dims) => new()
    {
        Name = name,
        DataType = (int)TensorProto.Types.DataType.Float,
        Dims = { dims },
        RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())),
    };
}
