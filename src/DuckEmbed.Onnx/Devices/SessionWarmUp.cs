using DuckEmbed.Onnx.Inference;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace DuckEmbed.Onnx.Devices;

/// <summary>
/// One run of a new session at the largest shape the generator will give it. On CUDA, what session creation does not
/// prove shows up here instead of mid-run: a GPU the ONNX Runtime build has no kernels for (its CUDA package carries
/// sm_75 to sm_120 without PTX, so a V100 or a B200 loads the model and fails at the first kernel), missing cuDNN
/// pieces, and running out of memory at the largest batch.
/// </summary>
internal static class SessionWarmUp
{
    /// <summary>The most token cells one run gets: the longest texts, as many as the batch size and token budget allow.</summary>
    public static (int Rows, int Length) LargestShape(int maxBatchSize, int maxBatchTokens, int maxLength) =>
        (Math.Clamp(maxBatchTokens / maxLength, 1, maxBatchSize), maxLength);

    /// <summary>Fewest texts a warm-up halves down to before a GPU that cannot hold them counts as unusable.</summary>
    internal const int FewestRows = 1;

    /// <summary>
    /// Runs <paramref name="run"/> at <paramref name="largest"/>, halving the texts while the GPU runs out of memory (the
    /// same thing the run itself does to a batch that does not fit, done once here, so that every run fits from the
    /// start); what fitted is logged as a warning. Any other failure, or running out of memory at a single text, is
    /// the caller's to judge (CUDA not usable).
    /// </summary>
    /// <returns>The shape that ran.</returns>
    public static (int Rows, int Length) RunFitting(Action<int, int> run, (int Rows, int Length) largest, string where, ILogger logger)
    {
        var rows = largest.Rows;
        while (true)
        {
            try
            {
                run(rows, largest.Length);
                if (rows < largest.Rows)
                {
                    logger.WarmUpFitted(where, rows, largest.Length, largest.Rows, rows * largest.Length);
                }
                return (rows, largest.Length);
            }
            catch (OnnxRuntimeException e) when (rows > FewestRows && OutOfMemorySplittingEncoder.IsOutOfMemory(e))
            {
                logger.WarmUpOutOfMemory(where, rows, largest.Length, rows / 2);
                rows /= 2;
            }
        }
    }

    /// <summary>Runs <paramref name="session"/> once on <paramref name="rows"/> × <paramref name="length"/> tokens of every int64 input.</summary>
    public static void Run(InferenceSession session, int rows, int length)
    {
        long[] shape = [rows, length];
        var names = new List<string>();
        var values = new List<OrtValue>();
        try
        {
            foreach (var (name, metadata) in session.InputMetadata)
            {
                if (metadata.ElementDataType != TensorElementType.Int64)
                {
                    continue;
                }
                // Token id 1 everywhere, the mask all ones, token types 0: any valid ids do for shape and kernels.
                var data = new long[rows * length];
                Array.Fill(data, name == "token_type_ids" ? 0L : 1L);
                names.Add(name);
                values.Add(OrtValue.CreateTensorValueFromMemory(data, shape));
            }
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, names, values, [.. session.OutputNames]);
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }
}
