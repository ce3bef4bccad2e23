using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace DuckEmbed.Onnx;

/// <summary>Builds the ONNX Runtime session for the chosen <see cref="ExecutionDevice"/>.</summary>
internal static class InferenceSessionFactory
{
    public static InferenceSession Create(byte[] model, SentenceEmbeddingOptions options, ILogger logger)
    {
        if (options.Device == ExecutionDevice.Cuda)
        {
            throw new ModelLoadException(
                "device cuda: this build runs on the CPU only. Set device to cpu or auto.");
        }

        using var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = options.IntraOpThreads ?? Environment.ProcessorCount,
            InterOpNumThreads = 1,
        };
        try
        {
            var session = new InferenceSession(model, sessionOptions);
            logger.LogInformation("ONNX Runtime on the CPU with {Threads} threads", sessionOptions.IntraOpNumThreads);
            return session;
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException($"The model could not be loaded by ONNX Runtime: {e.Message}", e);
        }
    }
}
