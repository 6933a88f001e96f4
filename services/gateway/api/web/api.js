/* The REST API of the gateway, as the page uses it: JSON calls, a multipart upload with progress, and the
   job watch as Server-Sent Events (EventSource resumes with Last-Event-ID by itself after a network blip). */
"use strict";

window.IdPhotoApi = (() => {
  class ApiError extends Error {
    constructor(data, status) {
      super((data && data.message) || "the request failed");
      this.code = (data && data.code) || (status ? "HTTP_" + status : "NETWORK");
      this.details = (data && data.details) || {};
      this.status = status;
    }
  }

  function parse(text, status) {
    try {
      return text ? JSON.parse(text) : {};
    } catch (err) {
      return { code: "HTTP_" + status, message: "the server answered something unexpected" };
    }
  }

  async function call(path, { method = "GET", body } = {}) {
    const init = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      throw new ApiError({ code: "NETWORK", message: "the server cannot be reached" }, 0);
    }
    const data = parse(await response.text(), response.status);
    if (!response.ok) throw new ApiError(data, response.status);
    return data;
  }

  /* POST /v1/uploads as multipart/form-data (field "file"); onProgress gets 0..1 while the bytes leave. */
  function upload(file, onProgress) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      form.append("file", file, file.name || "photo");
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/v1/uploads");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      };
      xhr.onload = () => {
        const data = parse(xhr.responseText, xhr.status);
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject(new ApiError(data, xhr.status));
      };
      xhr.onerror = () => reject(new ApiError({ code: "NETWORK", message: "the upload did not reach the server" }, 0));
      xhr.send(form);
    });
  }

  /* Follows GET /v1/jobs/{id}:watch until the server ends the stream; resolves with the last job snapshot.
     onEvent(jobEvent) sees every event; afterEventId resumes after an event seen earlier. */
  function watch(jobId, afterEventId, onEvent) {
    const query = afterEventId ? "?afterEventId=" + encodeURIComponent(afterEventId) : "";
    const source = new EventSource("/v1/jobs/" + encodeURIComponent(jobId) + ":watch" + query);
    let last = null;
    return new Promise((resolve, reject) => {
      source.onmessage = (message) => {
        const event = JSON.parse(message.data);
        last = event.job;
        onEvent(event);
      };
      source.addEventListener("end", () => {
        source.close();
        if (last) resolve(last);
        else call("/v1/jobs/" + encodeURIComponent(jobId)).then(resolve, reject);
      });
      source.addEventListener("error", (event) => {
        if (event.data) {                                   // the server's own error event
          source.close();
          reject(new ApiError(parse(event.data, 500), 500));
        } else if (source.readyState === EventSource.CLOSED) {   // refused: ask for the reason
          source.close();
          call("/v1/jobs/" + encodeURIComponent(jobId)).then(
            () => reject(new ApiError({ code: "NETWORK", message: "lost the connection to the server" }, 0)),
            reject);
        }                                                   // else the browser reconnects and resumes
      });
    });
  }

  return { ApiError, call, upload, watch };
})();
