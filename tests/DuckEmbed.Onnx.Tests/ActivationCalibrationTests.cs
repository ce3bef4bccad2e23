using DuckEmbed.Onnx.Graph;
using DuckEmbed.Onnx.Graph.Proto;
using Google.Protobuf;
using DataType = DuckEmbed.Onnx.Graph.Proto.TensorProto.Types.DataType;

namespace DuckEmbed.Onnx.Tests;

/// <summary>Calibration on a hand-built graph: H = float(input_ids)[..., None] · [1, -2, 3], then Y = H.</summary>
public sealed class ActivationCalibrationTests
{
    private static byte[] TinyModel(string idsInput = "input_ids")
    {
        static ValueInfoProto Value(string name, DataType type) =>
            new() { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type } } };
        var graph = new GraphProto
        {
            Name = "tiny",
            Input = { Value(idsInput, DataType.Int64), Value("attention_mask", DataType.Int64) },
            Output = { Value("Y", DataType.Float) },
            Initializer =
            {
                TensorValues.FloatTensor("C", [1f, -2f, 3f], [3]),
                new TensorProto { Name = "axes", DataType = (int)DataType.Int64, Dims = { 1 }, Int64Data = { 2 } },
            },
        };
        graph.Node.Add(new NodeProto
        {
            OpType = "Cast", Input = { idsInput }, Output = { "F" },
            Attribute = { new AttributeProto { Name = "to", I = (long)DataType.Float, Type = AttributeProto.Types.AttributeType.Int } },
        });
        graph.Node.Add(new NodeProto { OpType = "Unsqueeze", Input = { "F", "axes" }, Output = { "U" } });
        graph.Node.Add(new NodeProto { OpType = "Mul", Input = { "U", "C" }, Output = { "H" } });
        graph.Node.Add(new NodeProto { OpType = "Identity", Input = { "H" }, Output = { "Y" } });
        return new ModelProto { IrVersion = 8, Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 13 } } }.ToByteArray();
    }

    [Fact]
    public void Records_the_largest_absolute_value_of_each_channel_over_all_tokens_of_all_texts()
    {
        var maxima = ActivationCalibration.ChannelMaxima(TinyModel(), ["H"], [[1, 2], [5], [3, 0, 4]]);

        Assert.Equal([5f, 10f, 15f], Assert.Single(maxima).Value);
    }

    [Fact]
    public void A_model_the_calibration_cannot_feed_is_a_model_load_error_that_names_int8_and_the_fix()
    {
        var error = Assert.Throws<ModelLoadException>(() => ActivationCalibration.ChannelMaxima(TinyModel(idsInput: "tokens"), ["H"], [[1, 2]]));

        Assert.Equal(ModelSetting.Precision, error.Setting);
        Assert.StartsWith("int8: the calibration run failed", error.Message);
        Assert.EndsWith("Use fp32 for this model.", error.Message);
    }

    [Fact]
    public void A_stop_during_calibration_ends_it_before_the_remaining_texts()
    {
        using var stop = new CancellationTokenSource();
        var texts = 0;
        IEnumerable<int[]> Texts()
        {
            for (var i = 1; i <= 100; i++)
            {
                texts++;
                if (i == 3)
                {
                    stop.Cancel();
                }
                yield return [i];
            }
        }

        Assert.ThrowsAny<OperationCanceledException>(() => ActivationCalibration.ChannelMaxima(TinyModel(), ["H"], Texts(), stop.Token));
        Assert.Equal(3, texts);
    }

    [Fact]
    public void Creating_an_int8_generator_with_a_stopped_token_is_cancelled_not_a_model_error()
    {
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), new SentenceEmbeddingOptions { Precision = ModelPrecision.Int8 }, cancellationToken: stop.Token));
    }
}
