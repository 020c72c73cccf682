; Inno Setup 6 script: MiniChat's Windows installer, made from dist\MiniChat (scripts/package).
; A per-user install (no administrator needed: PrivilegesRequired=lowest) into
; %LOCALAPPDATA%\Programs\MiniChat, a Start-menu entry, an optional desktop icon, and an
; uninstaller (Settings → Apps). The shop's data lives elsewhere (%LOCALAPPDATA%\MiniChat,
; minichat_desktop/paths.py) and is kept when MiniChat is uninstalled or updated.
;
; Build (docs/packaging.md), from the project folder, with the version the build printed:
;   iscc /DAppVersion=0.1.0 packaging\windows\minichat.iss
; Signed (the certificate from outside the repository; see docs/packaging.md):
;   iscc /DAppVersion=0.1.0 /DSign "/Sminichat=signtool sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 /f $q%MINICHAT_SIGN_PFX%$q /p $q%MINICHAT_SIGN_PASSWORD%$q $f" packaging\windows\minichat.iss

#ifndef AppVersion
  #error Give the version: iscc /DAppVersion=X.Y.Z packaging\windows\minichat.iss (dist\MiniChat\minichat.exe --version prints it)
#endif

#define AppName "MiniChat"
#define AppExe "minichat.exe"
#define Root "..\.."

[Setup]
; The AppId ties updates and the uninstaller to one product: never change it.
AppId={{4445E1BE-62C8-47B1-950C-3275A2EEDF4E}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=MiniChat
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
DisableDirPage=auto
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
; An update closes a running MiniChat first (its files are in use) and starts it again after.
CloseApplications=yes
RestartApplications=yes
SetupIconFile={#Root}\build\package\icons\minichat.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
OutputDir={#Root}\dist
OutputBaseFilename=MiniChat-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
#ifdef Sign
SignTool=minichat
SignedUninstaller=yes
#endif

[Languages]
; Inno Setup ships no official Thai messages; the installer speaks English, the app Thai.
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Root}\dist\MiniChat\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

; An update replaces the whole program folder: files a newer build dropped must not linger.
[InstallDelete]
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
