using System.Runtime.InteropServices;
using DuckEmbed.Onnx.Graph.Proto;
using Google.Protobuf;

namespace DuckEmbed.Onnx.Graph;

/// <summary>Reads and makes the tensors of an ONNX graph (little-endian <c>raw_data</c>, or the typed data fields).</summary>
internal static class TensorValues
{
    public static float[] ReadFloats(TensorProto tensor) =>
        tensor.RawData.IsEmpty ? [.. tensor.FloatData] : FromRawData<float>(tensor);

    public static long[] ReadInt64s(TensorProto tensor) =>
        tensor.RawData.IsEmpty ? [.. tensor.Int64Data] : FromRawData<long>(tensor);

    private static T[] FromRawData<T>(TensorProto tensor) where T : struct
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian.");
        }
        return MemoryMarshal.Cast<byte, T>(tensor.RawData.Span).ToArray();
    }

    public static TensorProto FloatTensor(string name, float[] values, long[] dims) => new()
    {
        Name = name,
        DataType = (int)TensorProto.Types.DataType.Float,
        Dims = { dims },
        RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())),
    };
}
