namespace DuckEmbed.Processor;

/// <summary>A <see cref="VectorPrecision"/> as a config and an output's record spell it.</summary>
public static class VectorPrecisionNames
{
    /// <summary><c>float32</c>, <c>int8</c>, <c>binary</c> or <c>binary+int8</c>.</summary>
    public static string Name(VectorPrecision precision) => precision switch
    {
        VectorPrecision.Int8 => "int8",
        VectorPrecision.Binary => "binary",
        VectorPrecision.BinaryInt8 => "binary+int8",
        _ => "float32",
    };

    /// <summary>The precision <paramref name="name"/> spells; <c>null</c> for none.</summary>
    public static VectorPrecision? Parse(string name) =>
        Enum.GetValues<VectorPrecision>().Select(p => (VectorPrecision?)p).FirstOrDefault(p => Name(p!.Value) == name);
}
