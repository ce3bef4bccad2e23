using DuckEmbed.Onnx.Graph;
using DuckEmbed.Onnx.Graph.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using DataType = DuckEmbed.Onnx.Graph.Proto.TensorProto.Types.DataType;

namespace DuckEmbed.Onnx.Tests;

/// <summary>The fp16 and int8 graph edits on a hand-built graph: Y = X · W + B, with X [2, 4] and W [4, 3].</summary>
public sealed class GraphEditTests
{
    private static readonly float[] Weights = [0.5f, -1.0f, 0.0f, 0.25f, 2.0f, 0.0f, -0.75f, 0.1f, 0.0f, 1.5f, -0.3f, 0.0f];
    private static readonly float[] Bias = [0.1f, -0.2f, 0.3f];
    private static readonly float[] Input = [1f, 2f, 3f, 4f, -1f, 0.5f, 0.25f, -2f];

    private static byte[] TinyModel(bool withMatMul = true, bool initializersAsInputs = false, float[]? weights = null)
    {
        var graph = new GraphProto
        {
            Name = "tiny",
            Input = { FloatValue("X", 2, 4) },
            Output = { FloatValue("Y", 2, 3) },
            Initializer = { TensorValues.FloatTensor("W", weights ?? Weights, [4, 3]), TensorValues.FloatTensor("B", Bias, [3]) },
        };
        graph.Node.Add(withMatMul
            ? new NodeProto { OpType = "MatMul", Name = "matmul", Input = { "X", "W" }, Output = { "M" } }
            : new NodeProto { OpType = "Slice", Name = "slice", Input = { "X", "starts", "ends", "axes" }, Output = { "M" } });
        graph.Node.Add(new NodeProto { OpType = "Add", Name = "add", Input = { "M", "B" }, Output = { "Y" } });
        if (initializersAsInputs)
        {
            graph.Input.Add(FloatValue("W", 4, 3));
            graph.Input.Add(FloatValue("B", 3));
        }
        var model = new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 17 } } };
        return model.ToByteArray();
    }

    private static ValueInfoProto FloatValue(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = dim });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float, Shape = shape } } };
    }

    private static float[] Run(byte[] model, float[]? input = null)
    {
        using var session = new InferenceSession(model);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("X", new DenseTensor<float>(input ?? Input, [2, 4]))]);
        return results[0].AsEnumerable<float>().ToArray();
    }

    private static float[] Expected(float[]? input = null, float[]? weights = null)
    {
        input ??= Input;
        weights ??= Weights;
        var y = new float[6];
        for (var r = 0; r < 2; r++)
        {
            for (var c = 0; c < 3; c++)
            {
                y[r * 3 + c] = Bias[c];
                for (var k = 0; k < 4; k++)
                {
                    y[r * 3 + c] += input[r * 4 + k] * weights[k * 3 + c];
                }
            }
        }
        return y;
    }

    private static float LargestError(float[] actual, float[] expected) => actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max();

    [Fact]
    public void The_fp32_tiny_graph_computes_x_times_w_plus_b()
    {
        Assert.Equal(Expected(), Run(TinyModel()), new FloatTolerance(1e-5f));
    }

    [Fact]
    public void Int8_replaces_the_matmul_with_dynamic_quantize_matmul_on_int8_weights_and_folds_the_bias_add_into_it()
    {
        var quantized = Int8Quantization.Quantize(TinyModel(), Int8Weights.Signed);

        var model = ModelProto.Parser.ParseFrom(quantized);
        var node = Assert.Single(model.Graph.Node);
        Assert.Equal(("DynamicQuantizeMatMul", "com.microsoft"), (node.OpType, node.Domain));
        Assert.Equal(["X", "M_weight_int8", "M_weight_scale", "", "B"], node.Input);
        Assert.Equal(["Y"], node.Output);
        Assert.DoesNotContain(model.Graph.Initializer, t => t.Name == "W");
        var weights = Assert.Single(model.Graph.Initializer, t => t.Name == "M_weight_int8");
        Assert.Equal((int)DataType.Int8, weights.DataType);
        Assert.Equal([4, 3], weights.Dims);
        Assert.Contains(model.OpsetImport, o => o.Domain == "com.microsoft");
        // Activations are quantized to 8 bits per run: the result is close, not exact.
        Assert.Equal(Expected(), Run(quantized), new FloatTolerance(0.05f));
    }

    [Fact]
    public void Int8_lists_the_inputs_of_the_matmuls_it_quantizes_for_calibration()
    {
        Assert.Equal(["X"], Int8Quantization.QuantizableInputs(TinyModel()));
    }

    [Fact]
    public void Int8_scales_an_outlier_input_channel_down_and_its_weight_row_up_by_the_same_factor()
    {
        // Channel 3 reached 40 in calibration, the median channel 1: over 2.5 x the median, and its weight row
        // (max 1.5) is ordinary, so it is scaled down to 2.5 and its row up by 16.
        var quantized = Int8Quantization.Quantize(TinyModel(), Int8Weights.Signed, new Dictionary<string, float[]> { ["X"] = [1f, 1f, 1f, 40f] });

        var model = ModelProto.Parser.ParseFrom(quantized);
        var scale = model.Graph.Node[0];
        Assert.Equal(("Mul", "X", "X_int8_input"), (scale.OpType, scale.Input[0], scale.Output[0]));
        Assert.Equal([1f, 1f, 1f, 2.5f / 40f], TensorValues.ReadFloats(model.Graph.Initializer.Single(t => t.Name == scale.Input[1])));
        Assert.Equal("X_int8_input", model.Graph.Node[1].Input[0]);
        var weightScales = TensorValues.ReadFloats(model.Graph.Initializer.Single(t => t.Name == "M_weight_scale"));
        Assert.Equal(1.5f * 16f / 127f, weightScales[0], 1e-6f); // column 0's largest weight is now row 3's 1.5 x 16
        // The product is unchanged but for rounding (coarser here: on four rows, row 3 now sets every column's scale).
        Assert.Equal(Expected(), Run(quantized), new FloatTolerance(0.25f));
    }

    [Fact]
    public void Int8_takes_an_outlier_channel_with_an_outlier_weight_row_out_to_an_fp32_side_product()
    {
        // Row 3's weights (30) are 20 x the median row's: scaling it up would wreck its columns' scales.
        float[] weights = [0.5f, -1.0f, 0.0f, 0.25f, 2.0f, 0.0f, -0.75f, 0.1f, 0.0f, 30f, -6f, 1f];
        var quantized = Int8Quantization.Quantize(TinyModel(weights: weights), Int8Weights.Signed, new Dictionary<string, float[]> { ["X"] = [1f, 1f, 1f, 40f] });

        var model = ModelProto.Parser.ParseFrom(quantized);
        Assert.Equal(["Mul", "Gather", "DynamicQuantizeMatMul", "MatMul", "Add"], model.Graph.Node.Select(n => n.OpType));
        Assert.Equal([1f, 1f, 1f, 0f], TensorValues.ReadFloats(model.Graph.Initializer.Single(t => t.Name == "X_channel_scales")));
        var int8Rows = model.Graph.Initializer.Single(t => t.Name == "M_weight_int8").RawData.ToByteArray();
        Assert.All(int8Rows[9..12], b => Assert.Equal(0, b));
        Assert.Equal([30f, -6f, 1f], TensorValues.ReadFloats(model.Graph.Initializer.Single(t => t.Name == "M_outlier_rows")));
        Assert.Equal("Y", model.Graph.Node[^1].Output[0]);

        // An input whose channel 3 dwarfs the rest, as [CLS] does in BERT: on one shared activation range the small
        // channels round to nothing; with the channel on the side they keep their precision.
        float[] input = [0.11f, -0.23f, 0.31f, 40f, -0.27f, 0.12f, 0.05f, 35f];
        var plain = LargestError(Run(Int8Quantization.Quantize(TinyModel(weights: weights), Int8Weights.Signed), input), Expected(input, weights));
        var split = LargestError(Run(quantized, input), Expected(input, weights));
        Assert.True(split < plain / 10, $"largest error with the side product {split}, without {plain}");
    }

    [Fact]
    public void Unsigned_int8_weights_store_the_same_values_moved_up_by_128_with_a_zero_point_and_compute_the_same_product()
    {
        var signed = ModelProto.Parser.ParseFrom(Int8Quantization.Quantize(TinyModel(), Int8Weights.Signed));
        var unsignedModel = Int8Quantization.Quantize(TinyModel(), Int8Weights.Unsigned);
        var unsigned = ModelProto.Parser.ParseFrom(unsignedModel);

        var node = Assert.Single(unsigned.Graph.Node);
        Assert.Equal(["X", "M_weight_int8", "M_weight_scale", "M_weight_zero_point", "B"], node.Input);
        var weights = unsigned.Graph.Initializer.Single(t => t.Name == "M_weight_int8");
        Assert.Equal((int)DataType.Uint8, weights.DataType);
        var signedValues = signed.Graph.Initializer.Single(t => t.Name == "M_weight_int8").RawData.ToByteArray();
        Assert.Equal(signedValues.Select(b => (byte)((sbyte)b + 128)), weights.RawData.ToByteArray());
        Assert.Equal([128, 128, 128], unsigned.Graph.Initializer.Single(t => t.Name == "M_weight_zero_point").RawData.ToByteArray());
        Assert.Equal(Run(signed.ToByteArray()), Run(unsignedModel), new FloatTolerance(1e-5f));
    }

    [Fact]
    public void Int8_scales_each_column_so_its_largest_weight_becomes_127_rounding_halves_to_even()
    {
        var (values, scales) = Int8Quantization.QuantizePerColumn(Weights, 4, 3);

        // Columns: max |w| 1.5, 2 and 0 (an all-zero column keeps scale 1). -0.75 / (1.5 / 127) = -63.5 → -64.
        Assert.Equal([1.5f / 127, 2f / 127, 1f], scales);
        Assert.Equal(new sbyte[] { 42, -64, 0, 21, 127, 0, -64, 6, 0, 127, -19, 0 }, values);
    }

    [Fact]
    public void Int8_refuses_a_model_without_a_matmul_on_constant_weights()
    {
        var error = Assert.Throws<ModelLoadException>(() => Int8Quantization.Quantize(TinyModel(withMatMul: false), Int8Weights.Signed));
        Assert.Contains("no MatMul with constant weights", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fp16_stores_constants_as_halves_and_casts_the_output_back_to_float()
    {
        var converted = Float16Conversion.Convert(TinyModel());

        var model = ModelProto.Parser.ParseFrom(converted);
        Assert.All(model.Graph.Initializer, t => Assert.Equal((int)DataType.Float16, t.DataType));
        Assert.Equal((int)DataType.Float, model.Graph.Output[0].Type.TensorType.ElemType);
        var inputCast = model.Graph.Node[0];
        Assert.Equal(("Cast", "X", "X_fp16"), (inputCast.OpType, inputCast.Input[0], inputCast.Output[0]));
        var outputCast = model.Graph.Node[^1];
        Assert.Equal(("Cast", "Y_fp16", "Y"), (outputCast.OpType, outputCast.Input[0], outputCast.Output[0]));
        Assert.Equal((long)DataType.Float, outputCast.Attribute.Single(a => a.Name == "to").I);
        Assert.Equal(Expected(), Run(converted), new FloatTolerance(0.01f));
    }

    [Fact]
    public void Fp16_declares_initializers_listed_as_graph_inputs_as_halves_too()
    {
        // Older exporters list every initializer among the graph's inputs, typed float.
        var converted = Float16Conversion.Convert(TinyModel(initializersAsInputs: true));

        var inputs = ModelProto.Parser.ParseFrom(converted).Graph.Input.ToDictionary(i => i.Name, i => i.Type.TensorType.ElemType);
        Assert.Equal((int)DataType.Float, inputs["X"]);
        Assert.Equal((int)DataType.Float16, inputs["W"]);
        Assert.Equal((int)DataType.Float16, inputs["B"]);
        Assert.Equal(Expected(), Run(converted), new FloatTolerance(0.01f));
    }

    [Theory]
    [InlineData(1e30f, 10_000f)]
    [InlineData(-3.4e38f, -10_000f)]
    [InlineData(1e-9f, 1e-7f)]
    [InlineData(-1e-9f, -1e-7f)]
    [InlineData(0f, 0f)]
    [InlineData(0.5f, 0.5f)]
    public void Fp16_clamps_constants_into_the_range_where_sums_stay_finite(float value, float expected)
    {
        Assert.Equal(expected, Float16Conversion.Clamp(value));
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
