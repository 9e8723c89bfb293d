# Sourced by the launcher and by .ci/run: exports JAVA_HOME pointing at a JDK >= 22
# (java.lang.foreign is final from 22; the build targets 25). JAVA_HOME wins when it
# qualifies, then the usual JVM folders, newest first.

ember_java_feature() {  # prints the feature release of the JDK at $1, or nothing
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

ember_find_java() {
  local need=25 candidate version
  for candidate in "${JAVA_HOME:-}" \
      $(ls -d /usr/lib/jvm/* /usr/local/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* 2>/dev/null | sort -rV); do
    [ -n "$candidate" ] || continue
    version=$(ember_java_feature "$candidate")
    if [ -n "$version" ] && [ "$version" -ge "$need" ]; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  echo "ember: no JDK $need or newer found (looked at JAVA_HOME and /usr/lib/jvm); install Temurin 25 (https://adoptium.net) or set JAVA_HOME to it." >&2
  return 1
}
