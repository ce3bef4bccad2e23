using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace DuckEmbed.Onnx;

/// <summary>Builds the ONNX Runtime session on the chosen <see cref="ExecutionDevice"/>.</summary>
internal static class InferenceSessionFactory
{
    private const string CudaProvider = "CUDAExecutionProvider";

    /// <summary>The session, and the device it runs on (what <see cref="ExecutionDevice.Auto"/> became).</summary>
    public static (InferenceSession Session, ExecutionDevice Device) Create(byte[] model, string location, SentenceEmbeddingOptions options, ILogger logger)
    {
        try
        {
            return DeviceSelection.Choose(options.Device, () => (CreateCuda(model), ExecutionDevice.Cuda),
                () => (CreateCpu(model, options), ExecutionDevice.Cpu), logger);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ModelLoadException(
                $"model {location}: ONNX Runtime cannot load it ({FirstLine(e.Message)}). model_path must be a folder with a sentence-transformer exported to ONNX (model.onnx) and its vocab.txt.", e);
        }
    }

    private static InferenceSession CreateCpu(byte[] model, SentenceEmbeddingOptions options)
    {
        using var sessionOptions = BaseOptions();
        sessionOptions.IntraOpNumThreads = options.IntraOpThreads ?? Environment.ProcessorCount;
        return new InferenceSession(model, sessionOptions);
    }

    private static InferenceSession CreateCuda(byte[] model)
    {
        if (!OrtEnv.Instance().GetAvailableProviders().Contains(CudaProvider))
        {
            throw new CudaUnavailableException(
                "this build has the CPU ONNX Runtime (Microsoft.ML.OnnxRuntime); the CUDA one is in the Docker image, or build with -p:OnnxRuntimeFlavor=gpu");
        }
        if (CudaLibraryProbe.FindMissing(CudaLibraryProbe.CanLoad) is { } missing)
        {
            throw new CudaUnavailableException(missing);
        }
        using var sessionOptions = BaseOptions();
        try
        {
            sessionOptions.AppendExecutionProvider_CUDA(0);
            return new InferenceSession(model, sessionOptions);
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
        {
            throw new CudaUnavailableException(
                $"{FirstLine(e.Message)} — CUDA needs an NVIDIA driver for CUDA 13, the CUDA 13 runtime and cuDNN 9 libraries on the library path (the Docker image has them; run it with --gpus all)", e);
        }
    }

    private static SessionOptions BaseOptions() => new()
    {
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        InterOpNumThreads = 1,
    };

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
