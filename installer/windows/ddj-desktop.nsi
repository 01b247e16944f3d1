; DDJ Desktop for Windows: a per-user installer (no administrator rights) for the PyInstaller one-folder bundle.
;
; Build it with installer/windows/build_installer.py, which reads the version from the package and runs
;   makensis /DVERSION=0.1.0 /DVERSION_QUAD=0.1.0.0 /DBUNDLE=dist\ddj-desktop /DOUTFILE=dist\ddj-desktop-0.1.0-setup.exe
;            installer\windows\ddj-desktop.nsi
; (relative paths are taken from the folder of this script, so the wrapper passes absolute ones).
;
; Installs into %LOCALAPPDATA%\Programs\DDJ Desktop, adds "DDJ Desktop" to the Start menu, and registers an
; uninstaller under HKCU (Settings > Apps). The user's data - stores, mapping profiles, logs in
; %LOCALAPPDATA%\DDJ Desktop and the settings in HKCU\Software\DDJ Desktop - is never touched by an install or an
; upgrade, and the uninstaller keeps it unless the user ticks "Also delete my DDJ Desktop data". Stores saved
; anywhere else (Documents, a shared drive) are never deleted. Silent install and uninstall: /S (data kept).

Unicode true
ManifestDPIAware true
RequestExecutionLevel user
; The release compresses hardest (solid LZMA, minutes on a big bundle); a check of the script can pass
; /DCOMPRESSION=zlib to get the same installer, larger, in a fraction of the time.
!ifndef COMPRESSION
  !define COMPRESSION "lzma"
!endif
!if "${COMPRESSION}" == "lzma"
  SetCompressor /SOLID lzma
!else
  SetCompressor ${COMPRESSION}
!endif

!ifndef VERSION
  !error "Pass the version: makensis /DVERSION=X.Y.Z (installer/windows/build_installer.py does)"
!endif
!ifndef VERSION_QUAD
  !define VERSION_QUAD "${VERSION}.0"
!endif
!ifndef BUNDLE
  !define BUNDLE "..\..\dist\ddj-desktop"
!endif
!ifndef OUTFILE
  !define OUTFILE "ddj-desktop-${VERSION}-setup.exe"
!endif
; The two programs in the bundle (build.spec): the desktop application without a console, and the command line.
!ifndef GUI_EXE
  !define GUI_EXE "ddj-desktop-gui.exe"
!endif
!ifndef CLI_EXE
  !define CLI_EXE "ddj-desktop.exe"
!endif
!if ! /FileExists "${BUNDLE}\${GUI_EXE}"
  !error "${BUNDLE}\${GUI_EXE} is missing: freeze the application first (pyinstaller --noconfirm build.spec)"
!endif
!ifndef ICON
  !define ICON "..\..\resources\icons\ddj-desktop.ico"
!endif

!define PRODUCT "DDJ Desktop"
!define PUBLISHER "DDJ Desktop project"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\DDJ Desktop"
; Where the application keeps the user's data (ddj_desktop/paths.py: platformdirs, app name "DDJ Desktop"; the
; settings: QSettings("DDJ Desktop", "DDJ Desktop") in gui/settings.py).
!define DATA_DIR "$LOCALAPPDATA\DDJ Desktop"
!define SETTINGS_KEY "Software\DDJ Desktop"

Name "${PRODUCT} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\DDJ Desktop"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "${PRODUCT} ${VERSION}"

VIProductVersion "${VERSION_QUAD}"
VIAddVersionKey "ProductName" "${PRODUCT}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "FileDescription" "${PRODUCT} ${VERSION} installer"
VIAddVersionKey "CompanyName" "${PUBLISHER}"
VIAddVersionKey "LegalCopyright" "MIT License"

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING

!define MUI_WELCOMEPAGE_TEXT "This installs ${PRODUCT} ${VERSION} for you only: no administrator rights are needed.$\r$\n$\r$\nIf an older version is installed, it is replaced. Your stores and settings are kept, and a store is upgraded the first time the new version opens it.$\r$\n$\r$\nClose ${PRODUCT} before you continue."
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_RUN "$INSTDIR\${GUI_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${PRODUCT}"
!define MUI_FINISHPAGE_SHOWREADME ""
!define MUI_FINISHPAGE_SHOWREADME_NOTCHECKED
!define MUI_FINISHPAGE_SHOWREADME_TEXT "Check the installation now (self-test, about a minute)"
!define MUI_FINISHPAGE_SHOWREADME_FUNCTION RunSelfTest
!insertmacro MUI_PAGE_FINISH

!define MUI_UNCONFIRMPAGE_TEXT_TOP "${PRODUCT} will be removed from $INSTDIR.$\r$\n$\r$\nYour data is kept: stores, mapping profiles and logs in ${DATA_DIR}, settings in HKEY_CURRENT_USER\${SETTINGS_KEY}, and any store you saved elsewhere. To delete the data too, tick it on the next page."
!insertmacro MUI_UNPAGE_CONFIRM
!define MUI_COMPONENTSPAGE_TEXT_TOP "Leave the box empty to keep your data (a later install finds it again). Stores saved outside ${DATA_DIR} are never deleted."
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

Function RunSelfTest
  ; cmd /k keeps the window open so the result can be read.
  Exec '"$SYSDIR\cmd.exe" /k ""$INSTDIR\${CLI_EXE}" --self-test"'
FunctionEnd

Section "${PRODUCT}" SecProgram
  SectionIn RO
  SetShellVarContext current
  ; An upgrade replaces the program files of the version before (a stale library from it could be loaded);
  ; only what an install put there is removed, never the folder itself.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${GUI_EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  SetOutPath "$INSTDIR"
  File /r "${BUNDLE}\*"
  File "/oname=ddj-desktop.ico" "${ICON}"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortCut "$SMPROGRAMS\${PRODUCT}.lnk" "$INSTDIR\${GUI_EXE}" "" "$INSTDIR\ddj-desktop.ico" 0 \
    SW_SHOWNORMAL "" "Import agency spreadsheets, link people, report"

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\ddj-desktop.ico"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" "$0"
SectionEnd

Section "un.${PRODUCT} (the program)" UnSecProgram
  SectionIn RO
  SetShellVarContext current
  Delete "$SMPROGRAMS\${PRODUCT}.lnk"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${GUI_EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  Delete "$INSTDIR\ddj-desktop.ico"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"  ; only if empty: nothing the user put there is deleted
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd

Section /o "un.Also delete my DDJ Desktop data" UnSecData
  ; Unticked unless the user ticks it; a silent uninstall (/S) keeps the data.
  RMDir /r "${DATA_DIR}"
  DeleteRegKey HKCU "${SETTINGS_KEY}"
SectionEnd

!insertmacro MUI_UNFUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${UnSecProgram} "The program files in $INSTDIR and the Start-menu entry."
  !insertmacro MUI_DESCRIPTION_TEXT ${UnSecData} "Deletes ${DATA_DIR} (the stores kept there, mapping profiles, logs) and the settings. A deleted store cannot be recovered: make a backup first (ddj-desktop backup)."
!insertmacro MUI_UNFUNCTION_DESCRIPTION_END
