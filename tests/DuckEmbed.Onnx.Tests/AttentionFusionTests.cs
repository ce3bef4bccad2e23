using DuckEmbed.Onnx.Graph;
using DuckEmbed.Onnx.Graph.Proto;
using DuckEmbed.Onnx.Inference;
using DuckEmbed.Onnx.Tokenization;
using DuckEmbed.Tests;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace DuckEmbed.Onnx.Tests;

/// <summary>Each attention block becomes one MultiHeadAttention, and the model computes what it computed before.</summary>
public sealed class AttentionFusionTests
{
    private static readonly byte[] MiniLM = ModelSource.Bundled().ReadModel();

    public static TheoryData<string> Models => new() { "MiniLM", "arctic-embed-xs" };

    [Theory]
    [MemberData(nameof(Models))]
    public void Every_block_is_fused_and_the_vectors_stay_what_they_were(string name)
    {
        var (model, vocabulary) = name == "MiniLM" ? (MiniLM, null)
            : (File.ReadAllBytes(Path.Combine(ArcticModel.Folder, "model.onnx")), Vocabulary.Load(new StreamReader(Path.Combine(ArcticModel.Folder, "vocab.txt"))));
        var pooling = new SentencePooling(PoolingMode.Mean);

        var (fused, count) = AttentionFusion.Apply(model);

        var nodes = ModelProto.Parser.ParseFrom(fused).Graph.Node;
        Assert.Equal(6, count);
        Assert.Equal(6, nodes.Count(n => n.OpType == "MultiHeadAttention"));
        Assert.DoesNotContain(nodes, n => n.OpType is "Softmax" or "Transpose");
        var (before, hidden, _) = PaddedBatch.Embed(model, pooling, vocabulary);
        var (after, _, _) = PaddedBatch.Embed(fused, pooling, vocabulary);
        for (var row = 0; row < PaddedBatch.Texts.Length; row++)
        {
            var cosine = VectorMath.Cosine(before.AsSpan(row * hidden, hidden).ToArray(), after.AsSpan(row * hidden, hidden).ToArray());
            Assert.True(cosine >= 0.999999, $"row {row}: cosine {cosine}");
        }
        Assert.InRange(after.Select((v, i) => Math.Abs(v - before[i])).Max(), 0, 1e-4);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Attention_fused_without_its_mask_gives_a_batch_of_one_token_count_the_vectors_of_the_masked_graph(string name)
    {
        var (model, vocabulary) = name == "MiniLM" ? (MiniLM, ModelSource.Bundled().ReadVocabulary())
            : (File.ReadAllBytes(Path.Combine(ArcticModel.Folder, "model.onnx")), Vocabulary.Load(new StreamReader(Path.Combine(ArcticModel.Folder, "vocab.txt"))));
        string[] texts = ["red green blue white", "north south east west", "one two three four"];
        Assert.Single(texts.Select(t => new BertTokenizer(vocabulary, 256).Encode(t).Ids.Length).Distinct());

        var (maskFree, count) = AttentionFusion.Apply(model, keyPaddingMask: false);

        var proto = ModelProto.Parser.ParseFrom(maskFree);
        Assert.Equal(6, count);
        Assert.All(proto.Graph.Node.Where(n => n.OpType == "MultiHeadAttention"), n => Assert.Equal(3, n.Input.Count));
        Assert.Contains(proto.MetadataProps, p => p.Key == AttentionFusion.MaskFreeMetadataKey);
        var pooling = new SentencePooling(PoolingMode.Mean);
        var (before, dimensions, _) = PaddedBatch.Embed(model, pooling, vocabulary, texts);
        var (after, _, _) = PaddedBatch.Embed(maskFree, pooling, vocabulary, texts);
        for (var row = 0; row < texts.Length; row++)
        {
            var cosine = VectorMath.Cosine(before.AsSpan(row * dimensions, dimensions).ToArray(), after.AsSpan(row * dimensions, dimensions).ToArray());
            Assert.True(cosine >= 0.999999, $"row {row}: cosine {cosine}");
        }
    }

    [Fact]
    public void A_model_without_its_padding_mask_refuses_a_padded_batch_instead_of_embedding_it_wrong()
    {
        var tokenizer = new BertTokenizer(ModelSource.Bundled().ReadVocabulary(), 256);
        using var masked = new OnnxSentenceEncoder(new InferenceSession(AttentionFusion.Apply(MiniLM).Model), tokenizer.PadId, ExecutionDevice.Cpu,
            new SentencePooling(PoolingMode.Mean));
        using var maskFree = new OnnxSentenceEncoder(new InferenceSession(AttentionFusion.Apply(MiniLM, keyPaddingMask: false).Model), tokenizer.PadId,
            ExecutionDevice.Cpu, new SentencePooling(PoolingMode.Mean));
        EncodedText[] padded = [.. PaddedBatch.Texts.Select(tokenizer.Encode)];

        Assert.False(masked.OneLengthOnly);
        Assert.True(maskFree.OneLengthOnly);
        masked.Encode(padded, new float[padded.Length * masked.Dimensions]);
        var refused = Assert.Throws<InvalidOperationException>(() => maskFree.Encode(padded, new float[padded.Length * maskFree.Dimensions]));
        Assert.Contains("different token counts", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_mask_term_that_is_not_one_minus_the_mask_leaves_the_graph_as_it_was()
    {
        // (2 − mask) · c is not a padding mask: every key would be shifted, not only the padded ones.
        var proto = ModelProto.Parser.ParseFrom(MiniLM);
        var graph = proto.Graph;
        var sub = graph.Node.Single(n => n.OpType == "Sub" && graph.Node.Any(c => c.OpType == "Cast" && c.Output[0] == n.Input[1]));
        var one = graph.Node.Single(n => n.Output.Contains(sub.Input[0])).Attribute.Single().T;
        one.RawData = ByteString.CopyFrom(BitConverter.GetBytes(2f));
        var model = proto.ToByteArray();

        var (result, count) = AttentionFusion.Apply(model);

        Assert.Equal(0, count);
        Assert.Same(model, result);
    }

    [Fact]
    public void A_model_whose_mask_input_has_another_name_is_returned_as_it_was()
    {
        // The operator's key padding mask is the attention_mask input itself; under another name it is not known to be one.
        var proto = ModelProto.Parser.ParseFrom(MiniLM);
        proto.Graph.Input.Single(i => i.Name == "attention_mask").Name = "padding";
        foreach (var node in proto.Graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                node.Input[i] = node.Input[i] == "attention_mask" ? "padding" : node.Input[i];
            }
        }
        var model = proto.ToByteArray();

        var (result, count) = AttentionFusion.Apply(model);

        Assert.Equal(0, count);
        Assert.Same(model, result);
    }
}
