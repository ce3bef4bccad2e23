using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DuckEmbed.Onnx;
using DuckEmbed.Onnx.Graph;
using DuckEmbed.Onnx.Tokenization;
using Microsoft.ML.OnnxRuntime;

namespace DuckEmbed.Bench;

/// <summary>
/// The ceiling for fp32 on this runtime: the HF-exact tokenizer and a bare ONNX Runtime session on batches of
/// token ids, nothing else (no pooling, no database). <c>sorted</c> batches texts of similar length together.
/// With <c>PROFILE=PREFIX</c> ONNX Runtime's profiler records every node, and the time per operator type is
/// printed after the run (the profiler itself slows the run, so its rate is not a figure to quote).
/// </summary>
internal static class RawOrtBenchmark
{
    /// <summary>
    /// The yardstick's model (fp32 as exported, int8 with its attention fused and masked: what padded batches run), or
    /// changed for a before/after:
    /// <c>INT8_OUTLIERS=0</c> int8 as <c>quantize_dynamic</c> makes it (no calibrated outlier handling),
    /// <c>ATTENTION_FUSION=0</c> or <c>1</c> attention left as exported or fused, whatever the precision; <c>UNMASKED=1</c>
    /// attention fused without its padding mask, with <c>EQUAL_LENGTHS=1</c> (batches of one length only: the model
    /// DuckEmbed runs on the CPU with <c>equal_length_batches</c>).
    /// </summary>
    private static byte[] Model(byte[] fp32, ModelPrecision precision, BertTokenizer tokenizer)
    {
        var unmasked = Environment.GetEnvironmentVariable("UNMASKED") == "1";
        var fuse = Environment.GetEnvironmentVariable("ATTENTION_FUSION") switch
        {
            "0" => false,
            "1" => true,
            _ => precision == ModelPrecision.Int8,
        };
        var model = precision switch
        {
            ModelPrecision.Int8 when Environment.GetEnvironmentVariable("INT8_OUTLIERS") == "0" => Int8Quantization.Quantize(fp32, Int8WeightsForCpu.Current),
            ModelPrecision.Int8 => PrecisionConversion.CalibratedInt8(fp32, text => tokenizer.Encode(text).Ids.ToArray()),
            _ => PrecisionConversion.Apply(fp32, precision, text => tokenizer.Encode(text).Ids.ToArray()),
        };
        // Without the mask only for batches of one length (EQUAL_LENGTHS=1): padding would be attended to.
        return fuse || unmasked ? AttentionFusion.Apply(model, keyPaddingMask: !unmasked).Model : model;
    }

    public static void Run(string textsPath, int count, int batchSize, bool sorted, int threads)
    {
        var texts = ReadTexts(textsPath, count);
        var source = ModelSource.Bundled();
        var tokenizer = new BertTokenizer(source.ReadVocabulary(), 256);
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
        };
        var profile = Environment.GetEnvironmentVariable("PROFILE");
        if (!string.IsNullOrEmpty(profile))
        {
            // The prefix first: setting EnableProfiling hands ONNX Runtime the prefix it has at that moment.
            options.ProfileOutputPathPrefix = profile;
            options.EnableProfiling = true;
        }
        var precision = Enum.Parse<ModelPrecision>(Environment.GetEnvironmentVariable("PRECISION") ?? "Fp32", ignoreCase: true);
        var model = Model(source.ReadModel(), precision, tokenizer);
        using var session = new InferenceSession(model, options);
        Infer(session, [tokenizer.Encode("warm up")]);

        var timer = Stopwatch.StartNew();
        var encoded = texts.Select(tokenizer.Encode).ToArray();
        var tokenizeSeconds = timer.Elapsed.TotalSeconds;
        var order = sorted ? encoded.OrderBy(e => e.Ids.Length).ToArray() : encoded;
        if (Environment.GetEnvironmentVariable("EQUAL_LENGTHS") == "1")
        {
            // Batches of texts of one length only (no padding): each length's texts cut into batches.
            foreach (var group in encoded.GroupBy(e => e.Ids.Length).OrderBy(g => g.Key))
            {
                var members = group.ToArray();
                for (var start = 0; start < members.Length; start += batchSize)
                {
                    Infer(session, members[start..Math.Min(members.Length, start + batchSize)]);
                }
            }
        }
        else
        {
            for (var start = 0; start < order.Length; start += batchSize)
            {
                Infer(session, order[start..Math.Min(order.Length, start + batchSize)]);
            }
        }
        timer.Stop();
        var tokens = encoded.Sum(e => (long)e.Ids.Length);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"raw-ort precision={precision.ToString().ToLowerInvariant()} order={(sorted ? "sorted" : "input")} texts={texts.Count} tokens={tokens} batch={batchSize} seconds={timer.Elapsed.TotalSeconds:F2} texts_per_s={texts.Count / timer.Elapsed.TotalSeconds:F1} tokens_per_s={tokens / timer.Elapsed.TotalSeconds:F0} tokenize_seconds={tokenizeSeconds:F3}"));
        if (!string.IsNullOrEmpty(profile))
        {
            PrintOperatorShares(session.EndProfiling());
        }
    }

    /// <summary>Kernel time per operator type from an ONNX Runtime profile (Chrome trace JSON), largest first.</summary>
    private static void PrintOperatorShares(string profilePath)
    {
        using var trace = JsonDocument.Parse(File.ReadAllText(profilePath));
        var byOperator = trace.RootElement.EnumerateArray()
            .Where(e => e.GetProperty("cat").GetString() == "Node" && e.GetProperty("name").GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal))
            .GroupBy(e => e.GetProperty("args").GetProperty("op_name").GetString()!)
            .Select(g => (Operator: g.Key, Microseconds: g.Sum(e => e.GetProperty("dur").GetInt64())))
            .OrderByDescending(p => p.Microseconds).ToList();
        var total = byOperator.Sum(p => p.Microseconds);
        foreach (var (op, microseconds) in byOperator.Where(p => p.Microseconds * 1000 >= total))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"profile operator={op} share={100.0 * microseconds / total:F1}% seconds={microseconds / 1e6:F2}"));
        }
        Console.WriteLine($"profile trace={profilePath}");
    }

    public static List<string> ReadTexts(string path, int count) =>
        File.ReadLines(path).Take(count).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!).ToList();

    private static void Infer(InferenceSession session, EncodedText[] batch)
    {
        var length = batch.Max(e => e.Ids.Length);
        var ids = new long[batch.Length * length];
        var mask = new long[batch.Length * length];
        for (var row = 0; row < batch.Length; row++)
        {
            for (var t = 0; t < batch[row].Ids.Length; t++)
            {
                ids[row * length + t] = batch[row].Ids.Span[t];
                mask[row * length + t] = 1;
            }
        }
        long[] shape = [batch.Length, length];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], [idsValue, maskValue, typesValue], ["last_hidden_state"]);
    }
}
